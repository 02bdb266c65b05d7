using Gateway.Contracts.Sync.V1;
using Gateway.Node.Grpc;

namespace Gateway.Node.Sync.Enrolment.Calls;

/// <summary>Every province's records of a person, as the person's index province holds them.</summary>
public sealed class GetEnrolmentSummaryHandler(IndexReads reads, EnrolmentSync sync)
{
    public async Task<EnrolmentSummary> HandleAsync(GetEnrolmentSummaryRequest request, DateTime deadline, CancellationToken ct)
    {
        var person = EnrolmentRequestValidation.Person(request.Person, "person", sync.Clock.Today);
        var (index, answer) = await reads.ReadAsync(person, deadline, ct);
        return new EnrolmentSummary { IndexProvince = index, Records = { answer.Records } };
    }
}
