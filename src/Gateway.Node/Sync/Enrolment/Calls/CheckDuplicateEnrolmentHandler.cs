using Gateway.Contracts.Sync.V1;
using Gateway.Node.Grpc;

namespace Gateway.Node.Sync.Enrolment.Calls;

/// <summary>A person's duplicate enrolments (第二十三条) with the 第二十四条 resolution, detected at the index province now.</summary>
public sealed class CheckDuplicateEnrolmentHandler(IndexReads reads, EnrolmentSync sync)
{
    public async Task<CheckDuplicateEnrolmentResponse> HandleAsync(CheckDuplicateEnrolmentRequest request, DateTime deadline, CancellationToken ct)
    {
        var person = EnrolmentRequestValidation.Person(request.Person, "person", sync.Clock.Today);
        var (index, answer) = await reads.ReadAsync(person, deadline, ct);
        return new CheckDuplicateEnrolmentResponse { IndexProvince = index, Findings = { answer.Findings } };
    }
}
