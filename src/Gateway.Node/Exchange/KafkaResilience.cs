using Gateway.Messaging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Node.Exchange;

/// <summary>
/// Polly around the Kafka edge. A publish round is bounded in time, retried twice with jitter, and a
/// broker that refuses every record opens the circuit so the relay stops hammering it; the outbox keeps
/// the rows, so nothing is lost while the circuit is open and nothing retries forever unseen.
/// </summary>
public static class KafkaResilience
{
    public static ResiliencePipeline<IReadOnlyList<PublishResult>> PublishPipeline(KafkaOptions kafka, ILogger logger)
    {
        static bool AllFailed(Outcome<IReadOnlyList<PublishResult>> o) =>
            o.Exception is not null and not OperationCanceledException || (o.Result is { Count: > 0 } r && r.All(p => !p.Succeeded));

        return new ResiliencePipelineBuilder<IReadOnlyList<PublishResult>>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<IReadOnlyList<PublishResult>>
            {
                ShouldHandle = args => ValueTask.FromResult(AllFailed(args.Outcome)),
                FailureRatio = 1.0,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(5),
                OnOpened = _ => { logger.LogError("Kafka refuses every publish: relay circuit open for 5 s"); return default; },
                OnClosed = _ => { logger.LogInformation("Kafka publishes again: relay circuit closed"); return default; },
            })
            .AddRetry(new RetryStrategyOptions<IReadOnlyList<PublishResult>>
            {
                ShouldHandle = args => ValueTask.FromResult(AllFailed(args.Outcome)),
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .AddTimeout(TimeSpan.FromMilliseconds(kafka.DeliveryTimeoutMs + 5_000))
            .Build();
    }
}
