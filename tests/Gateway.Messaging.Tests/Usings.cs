global using Confluent.Kafka;
global using Gateway.EmbeddedBroker;
