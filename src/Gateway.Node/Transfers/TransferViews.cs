using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Rules;
using Gateway.Domain.Transfers;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Transfers;

/// <summary>Maps a stored transfer to its API view: state, amounts, timeline and every deadline with its governing province.</summary>
public sealed class TransferViews(ReferenceData reference, BusinessClock clock)
{
    public async Task<Proto.Transfer> ViewAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, TransferRecord record, CancellationToken ct)
    {
        var view = View(record);
        foreach (var row in await TransferStore.TimelineAsync(conn, tx, record.TransferId, ct))
            view.Timeline.Add(new Proto.TimelineEntry { Event = row.Event, On = Iso(row.On), At = Timestamp.FromDateTimeOffset(row.At), Detail = row.Detail });
        return view;
    }

    public Proto.Transfer View(TransferRecord record)
    {
        var transfer = record.ToDomain();
        var letter = ContactLetterSent.Parser.ParseFrom(record.Letter);
        var schedule = transfer.Schedule(reference.Regimes, reference.Calendar);
        var today = clock.Today;

        var view = new Proto.Transfer
        {
            TransferId = transfer.Id,
            Role = transfer.Role == TransferRole.Origin ? Proto.TransferRole.Origin : Proto.TransferRole.Destination,
            State = ToProto(transfer.State),
            OriginProvince = transfer.Origin.Value,
            DestinationProvince = transfer.Destination.Value,
            CertificateNumber = record.CertificateNumber,
            Person = letter.Letter?.Person ?? letter.Certificate?.Person,
            TableAmountFen = transfer.TableAmount?.Fen ?? 0,
            TransferredAmountFen = transfer.TransferredAmount?.Fen ?? 0,
            CreditedAmountFen = transfer.CreditedAmount?.Fen ?? 0,
            ReturnReasonCode = transfer.ReturnReason?.Code() ?? "",
            ReturnReason = transfer.ReturnText ?? "",
            Overdue = schedule.Overdue(today).Count > 0,
            ExchangeFailed = record.ExchangeFailed,
            DestinationAgency = letter.Letter?.DestinationAgency,
            DestinationAccount = letter.Letter?.DestinationAccount,
            Held = record.HoldReason is not null,
            HoldReason = record.HoldReason ?? "",
            Continuity = record.Continuity is null ? null : Proto.Continuity.Parser.ParseFrom(record.Continuity),
            UpdatedAt = Timestamp.FromDateTimeOffset(record.UpdatedAt == default ? clock.UtcNow : record.UpdatedAt),
        };
        foreach (var step in schedule.Steps)
        {
            view.Deadlines.Add(new Proto.StepDeadline
            {
                Step = StepName(step.Step),
                DueOn = Iso(step.Due.Date),
                GoverningProvince = step.GoverningProvince.Value,
                WorkingDays = step.LimitDays,
                Calendar = step.Due.UsedFallback ? $"{step.Due.Calendar}; {step.Due.FallbackNote}" : step.Due.Calendar,
                Met = step.IsDone && !step.WasLate,
                Overdue = !schedule.IsClosed && step.IsOverdueOn(today),
                DoneOn = step.DoneOn is { } done ? Iso(done) : "",
            });
        }
        foreach (var entry in transfer.Timeline)
            view.Timeline.Add(new Proto.TimelineEntry { Event = entry.Event, On = Iso(entry.On), Detail = entry.Detail ?? "" });
        if (record.ExchangeFailed)
            view.Timeline.Add(new Proto.TimelineEntry { Event = "ExchangeFailed", On = Iso(today), Detail = record.FailureReason ?? "" });
        return view;
    }

    public static Proto.TransferState ToProto(TransferState state) => state switch
    {
        TransferState.Accepted => Proto.TransferState.Accepted,
        TransferState.LetterSent => Proto.TransferState.LetterSent,
        TransferState.WithdrawalRequested => Proto.TransferState.WithdrawalRequested,
        TransferState.LetterReturned => Proto.TransferState.LetterReturned,
        TransferState.InfoTableSent => Proto.TransferState.InfoTableSent,
        TransferState.Completed => Proto.TransferState.Completed,
        TransferState.Acknowledged => Proto.TransferState.Acknowledged,
        TransferState.Withdrawn => Proto.TransferState.Withdrawn,
        _ => Proto.TransferState.Unspecified,
    };

    public static TransferState? FromProto(Proto.TransferState state) =>
        System.Enum.GetValues<TransferState>().Cast<TransferState?>().FirstOrDefault(s => ToProto(s!.Value) == state);

    private static string StepName(TransferStep step) => step switch
    {
        TransferStep.ContactLetter => "LETTER",
        TransferStep.InfoTable => "INFO_TABLE",
        TransferStep.Balance => "BALANCE",
        TransferStep.Completion => "COMPLETION",
        _ => "OVERALL",
    };

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");
}
