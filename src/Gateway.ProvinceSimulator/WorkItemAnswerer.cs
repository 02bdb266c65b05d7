using Gateway.Contracts.Transfer.V1;
using Microsoft.Extensions.Logging;

namespace Gateway.ProvinceSimulator;

/// <summary>
/// Decides the province's answer to one work item and applies its effect on the registry.
/// Effects are once per item id (the registry guarantees it for money), and the answer is a
/// function of the item and those once-only results, so a redelivered item gets the same answer.
/// </summary>
internal sealed class WorkItemAnswerer(
    SyntheticRegistry registry,
    ProvinceDocuments documents,
    Func<Behaviour> behaviour,
    Action<ReturnedLetterNotice> onLetterReturned,
    TimeProvider clock,
    ILogger logger)
{
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    /// <summary>The answer, or null when the item is of a kind this system cannot answer.</summary>
    public AnswerWorkItemRequest? Answer(WorkItem item) => item.Kind switch
    {
        WorkItemKind.CheckOriginEnrolment => CheckOriginEnrolment(item),
        WorkItemKind.BuildInformationTable => BuildInformationTable(item),
        WorkItemKind.CreditBalance => CreditBalance(item),
        WorkItemKind.CloseOriginRecord => CloseOriginRecord(item),
        WorkItemKind.LetterReturned => LetterReturned(item),
        WorkItemKind.DuplicateEnrolment => DuplicateEnrolment(item),
        _ => null,
    };

    private AnswerWorkItemRequest CheckOriginEnrolment(WorkItem item)
    {
        var person = registry.Find(Certno(item));
        var (status, remarks) = behaviour() switch
        {
            Behaviour.AnswerNotSuspended => (EnrolmentStatus.Active, "simulated: not suspended"),
            Behaviour.AnswerUnknownPerson => (EnrolmentStatus.UnknownPerson, "simulated: no such person"),
            _ when person is null => (EnrolmentStatus.UnknownPerson, "no such person in the registry"),
            _ => (ToProto(person.Status), ""),
        };
        return new AnswerWorkItemRequest
        {
            ItemId = item.ItemId,
            OriginEnrolment = new OriginEnrolmentAnswer { Status = status, Remarks = remarks },
        };
    }

    private AnswerWorkItemRequest BuildInformationTable(WorkItem item)
    {
        var certno = Certno(item);
        var person = registry.Find(certno);
        var table = new InformationTable { IssuedOn = BusinessDate(item) };
        long amount = 0;
        if (person is null)
        {
            // Nothing to send: an empty table with zero says so; the node decides what follows.
            logger.LogWarning("Information table for item {ItemId}: person unknown here, answering an empty table", item.ItemId);
            table.Person = item.Person?.Clone() ?? new Person { Certno = certno };
            table.Agency = documents.BuildAgency();
        }
        else
        {
            amount = registry.Debit(MoveId(item), certno);
            table.Person = person.ToProto();
            table.Rows.AddRange(person.Periods.Select(p => p.ToProto()));
            table.Agency = documents.BuildAgency(person.PoolingRegion);
        }
        table.AmountFen = amount;
        table.Handler = table.Agency.Contact;
        table.HandlerPhone = table.Agency.Phone;
        return new AnswerWorkItemRequest
        {
            ItemId = item.ItemId,
            InformationTable = new InformationTableAnswer { Table = table, TransferredAmountFen = amount },
        };
    }

    private AnswerWorkItemRequest CreditBalance(WorkItem item)
    {
        var certno = Certno(item);
        if (registry.Find(certno) is null && registry.Add(NewcomerFrom(item)))
            logger.LogInformation("Item {ItemId}: enrolled the transferred person here", item.ItemId);
        var credited = registry.Credit(MoveId(item), certno, item.AmountFen);
        // Transferred in: enrolled here as active from now on.
        registry.SetStatus(certno, EnrolmentState.Active);
        return new AnswerWorkItemRequest
        {
            ItemId = item.ItemId,
            CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = credited },
        };
    }

    /// <summary>An item issued again after a hold moves no money twice: its move is the first item's.</summary>
    private static string MoveId(WorkItem item) => item.ReplacesItemId.Length > 0 ? item.ReplacesItemId : item.ItemId;

    private AnswerWorkItemRequest CloseOriginRecord(WorkItem item)
    {
        var certno = Certno(item);
        if (registry.Find(certno) is not null) registry.CloseRecord(certno, item.TransferId);
        else logger.LogWarning("Item {ItemId}: record to close is unknown here", item.ItemId);
        return Acknowledge(item);
    }

    private AnswerWorkItemRequest LetterReturned(WorkItem item)
    {
        onLetterReturned(new ReturnedLetterNotice(item.ItemId, item.TransferId, Certno(item), item.ReasonCode, item.Reason));
        return Acknowledge(item);
    }

    // A real agency would now contact the person and end or suspend records by 第二十四条; the simulation takes it up and says so.
    private AnswerWorkItemRequest DuplicateEnrolment(WorkItem item)
    {
        logger.LogInformation("Item {ItemId}: duplicate enrolment {FindingId} ({Kind}, {Resolution}) taken up", item.ItemId,
            item.DuplicateEnrolment?.FindingId, item.DuplicateEnrolment?.Kind, item.DuplicateEnrolment?.Resolution);
        return Acknowledge(item);
    }

    private static AnswerWorkItemRequest Acknowledge(WorkItem item) =>
        new() { ItemId = item.ItemId, Acknowledgement = new Acknowledgement() };

    private SyntheticPerson NewcomerFrom(WorkItem item)
    {
        var p = item.Person ?? new Person { Certno = Certno(item) };
        var district = documents.Profile.Capital;
        return new SyntheticPerson(
            Name: p.PsnName,
            IdentityNumber: p.Certno,
            Sex: p.Gend,
            BirthDate: DateOnly.TryParseExact(p.Brdy, "yyyy-MM-dd", out var brdy) ? brdy : default,
            Phone: p.Phone,
            HouseholdType: p.HouseholdType,
            HouseholdAddress: p.HouseholdAddress,
            Postcode: string.IsNullOrEmpty(p.Postcode) ? district.Postcode : p.Postcode,
            PoolingRegion: district.PoolingRegion,
            InsuranceType: item.Insutype == InsuranceType.Unspecified ? InsuranceType.Employee : item.Insutype,
            Status: EnrolmentState.Active,
            Periods: [],
            BalanceFen: 0);
    }

    private static string Certno(WorkItem item) =>
        !string.IsNullOrEmpty(item.Person?.Certno) ? item.Person.Certno
        : throw new InvalidOperationException($"Work item {item.ItemId} carries no identity number.");

    /// <summary>The business date in China of the item's creation, so a redelivery dates the table the same.</summary>
    private string BusinessDate(WorkItem item)
    {
        var at = item.CreatedAt is { } ts ? ts.ToDateTimeOffset() : clock.GetUtcNow();
        return at.ToOffset(ChinaOffset).ToString("yyyy-MM-dd");
    }

    private static EnrolmentStatus ToProto(EnrolmentState state) => state switch
    {
        EnrolmentState.Active => EnrolmentStatus.Active,
        EnrolmentState.Suspended => EnrolmentStatus.Suspended,
        EnrolmentState.Terminated => EnrolmentStatus.Terminated,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };
}
