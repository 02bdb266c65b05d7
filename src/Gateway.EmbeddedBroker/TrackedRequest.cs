namespace Gateway.EmbeddedBroker;

/// <summary>One request the mock cluster received: which broker, which API, when (librdkafka's clock, microseconds).</summary>
public sealed record TrackedRequest(int BrokerId, KafkaApi Api, long TimestampMicroseconds);
