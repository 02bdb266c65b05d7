using Gateway.Node.Sync.Enrolment.Calls;
using Gateway.Node.Sync.Enrolment.Inbound;
using Gateway.Node.Transfers.Inbound;

namespace Gateway.Node.Sync.Enrolment;

public static class EnrolmentSyncServices
{
    /// <summary>Enrolment sync: one handler per call and per inbound message type.</summary>
    public static IServiceCollection AddEnrolmentSync(this IServiceCollection services)
    {
        services.AddSingleton<ExchangeMembership>();
        services.AddSingleton<EnrolmentSync>();
        services.AddSingleton<PendingEnrolmentQueries>();
        services.AddSingleton<IndexReads>();
        services.AddSingleton<PublishEnrolmentHandler>();
        services.AddSingleton<GetEnrolmentSummaryHandler>();
        services.AddSingleton<CheckDuplicateEnrolmentHandler>();
        services.AddSingleton<AcknowledgeFindingHandler>();
        services.AddSingleton<EnrolmentReplicas>();
        services.AddSingleton<IInboundHandler, EnrolmentChangedHandler>();
        services.AddSingleton<Backfill.IBackfillSource, EnrolmentBackfillSource>();
        services.AddSingleton<Backfill.IBackfillSink, EnrolmentBackfillSink>();
        services.AddSingleton<IInboundHandler, DuplicateEnrolmentFoundHandler>();
        services.AddSingleton<IInboundHandler, EnrolmentQueryHandler>();
        services.AddSingleton<IInboundHandler, EnrolmentQueryAnsweredHandler>();
        return services;
    }
}
