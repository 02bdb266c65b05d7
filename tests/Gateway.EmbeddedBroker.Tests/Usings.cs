namespace Gateway.EmbeddedBroker.Tests;
