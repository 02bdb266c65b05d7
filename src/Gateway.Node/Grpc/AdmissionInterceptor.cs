using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Grpc;

/// <summary>
/// Bounds the mutating calls that run at once (<see cref="NodeOptions.MaxConcurrentCalls"/>), each of which holds a
/// database connection until its commit. Over the bound a call waits at most <see cref="NodeOptions.AdmissionWait"/>
/// in a bounded queue, then ends RESOURCE_EXHAUSTED with a RetryInfo: it was not applied, and a retry with the same
/// idempotency key is safe. Nothing queues without end, and the connection pool is never the queue.
/// Reads and streams are not limited here.
/// </summary>
public sealed class AdmissionInterceptor : Interceptor, IDisposable
{
    public const string Reason = "NODE_BUSY";
    private readonly ConcurrencyLimiter _limiter;
    private readonly TimeSpan _wait;
    private readonly ILogger<AdmissionInterceptor> _logger;

    public AdmissionInterceptor(IOptions<NodeOptions> options, ILogger<AdmissionInterceptor> logger)
    {
        var o = options.Value;
        Limit = o.MaxConcurrentCalls > 0 ? o.MaxConcurrentCalls : NodeOptions.DefaultMaxConcurrentCalls;
        _wait = o.AdmissionWait < TimeSpan.Zero ? TimeSpan.Zero : o.AdmissionWait;
        _logger = logger;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Limit,
            // As many may wait as run; beyond that a call is refused at once.
            QueueLimit = Limit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public int Limit { get; }

    /// <summary>The mutating methods (full gRPC names) this interceptor admits.</summary>
    public static readonly IReadOnlySet<string> MutatingMethods = new HashSet<string>(
        new[] { "IssueCertificate", "IssueCertificates", "SubmitApplication", "SubmitApplications", "WithdrawTransfer" }
            .Select(m => $"/{Contracts.Transfer.V1.TransferService.Descriptor.FullName}/{m}")
            .Concat(new[] { "PublishEnrolment", "PublishEnrolments" }.Select(m => $"/{Contracts.Sync.V1.EnrolmentService.Descriptor.FullName}/{m}")),
        StringComparer.Ordinal);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!MutatingMethods.Contains(context.Method))
            return await continuation(request, context);

        using var lease = await AcquireAsync(context);
        if (!lease.IsAcquired)
        {
            _logger.LogInformation("{Method} refused: {Limit} mutating calls already running", context.Method, Limit);
            throw Busy();
        }
        return await continuation(request, context);
    }

    private async ValueTask<RateLimitLease> AcquireAsync(ServerCallContext context)
    {
        var immediate = _limiter.AttemptAcquire();
        if (immediate.IsAcquired || _wait == TimeSpan.Zero) return immediate;
        immediate.Dispose();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(_wait);
        try
        {
            return await _limiter.AcquireAsync(1, timeout.Token);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            return FailedLease.Instance;
        }
    }

    private RpcException Busy()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = $"The node is running its {Limit} concurrent mutating calls; this call was not applied. Retry after the delay with the same idempotency key.",
        };
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryDelay) }));
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = Reason, Domain = GatewayErrors.ErrorDomain }));
        return status.ToRpcException();
    }

    /// <summary>Suggested wait before a retry: at least the admission wait, so a retry does not land in the same crowd at once.</summary>
    private TimeSpan RetryDelay => _wait > TimeSpan.FromMilliseconds(100) ? _wait : TimeSpan.FromMilliseconds(100);

    public void Dispose() => _limiter.Dispose();

    private sealed class FailedLease : RateLimitLease
    {
        public static readonly FailedLease Instance = new();
        public override bool IsAcquired => false;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata) { metadata = null; return false; }
    }
}
