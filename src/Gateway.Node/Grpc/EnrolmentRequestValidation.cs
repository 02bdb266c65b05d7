using Gateway.Domain.Enrolment;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using SyncV1 = Gateway.Contracts.Sync.V1;
using Transfer = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Grpc;

/// <summary>
/// Maps enrolment records and person references to the domain and says every field that is wrong, by its path in the
/// request (e.g. "record.paid_to"). The same rules judge an inbound EnrolmentChanged, whose violations make it poison.
/// </summary>
public static class EnrolmentRequestValidation
{
    public const int MaxRecordIdLength = 64;
    public const int MaxContinuousMonths = RequestValidation.MaxPaidMonths;

    /// <summary>Puts the person's number in canonical form (a check character 'x' is 'X') before anything reads it.</summary>
    public static void Normalize(SyncV1.PersonRef? person)
    {
        if (person is null) return;
        var p = new Transfer.Person { PsnCertType = person.PsnCertType, Certno = person.Certno };
        RequestValidation.Normalize(p);
        person.Certno = p.Certno;
    }

    /// <summary>The person named by a request, or INVALID_ARGUMENT.</summary>
    public static IdentityNumber Person(SyncV1.PersonRef? person, string path, DateOnly today)
    {
        var v = new List<(string, string)>();
        var id = Person(person, path, today, v);
        if (v.Count > 0) throw new InvalidRequestException(v);
        return id;
    }

    /// <summary>The record as the domain sees it, or null with the violations added to <paramref name="violations"/>.</summary>
    public static EnrolmentRecord? Record(SyncV1.EnrolmentRecord? r, string path, DateOnly today, List<(string Field, string Description)> violations)
    {
        if (r is null)
        {
            violations.Add((path, "required"));
            return null;
        }
        var before = violations.Count;
        void Add(string field, string description) => violations.Add(($"{path}.{field}", description));

        if (string.IsNullOrEmpty(r.RecordId)) Add("record_id", "required");
        else if (r.RecordId.Length > MaxRecordIdLength || !r.RecordId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            Add("record_id", $"at most {MaxRecordIdLength} letters, digits, '.', '_' or '-'");

        var person = Person(r.Person, $"{path}.person", today, violations);

        var region = new DivisionCode(r.InsuplcAdmdvs ?? "");
        if (region.Check() is { } regionProblem) Add("insuplc_admdvs", regionProblem);

        if (r.Insutype is not (Transfer.InsuranceType.Employee or Transfer.InsuranceType.Resident))
            Add("insutype", "310 (employee insurance) or 390 (resident insurance)");
        if (r.Status is not (Transfer.EnrolmentStatus.Active or Transfer.EnrolmentStatus.Suspended or Transfer.EnrolmentStatus.Terminated))
            Add("status", "active, suspended or terminated");
        if (!System.Enum.IsDefined(r.Basis)) Add("basis", "not an EnrolmentBasis this API defines");

        // Resident years are paid ahead, in the autumn before: a paid month may run to December of next year.
        var latest = new YearMonth(today.Year + 1, 12);
        var from = Month(r.PaidFrom, "paid_from", latest, Add);
        var to = Month(r.PaidTo, "paid_to", latest, Add);
        if (from is { } f && to is { } t && f > t) Add("paid_to", "is before paid_from");

        var employee = r.Insutype == Transfer.InsuranceType.Employee;
        var basis = r.Basis == SyncV1.EnrolmentBasis.Unspecified ? EnrolmentBasis.Standard : (EnrolmentBasis)r.Basis;
        if (basis == EnrolmentBasis.FlexibleEmployment && !employee) Add("basis", "flexible employment is a footing of employee insurance (310)");
        if (basis is EnrolmentBasis.Student or EnrolmentBasis.Subsidised && r.Insutype == Transfer.InsuranceType.Employee)
            Add("basis", "students and subsidised enrolment are footings of resident insurance (390)");
        if (r.CurrentEmployment && !employee) Add("current_employment", "only an employee-insurance record is a place of employment");

        DivisionCode? studyPlace = null;
        if (!string.IsNullOrEmpty(r.StudyPlaceAdmdvs))
        {
            var place = new DivisionCode(r.StudyPlaceAdmdvs);
            if (place.Check() is { } placeProblem) Add("study_place_admdvs", placeProblem);
            else if (basis != EnrolmentBasis.Student) Add("study_place_admdvs", "only a student record names a place of study");
            else studyPlace = place;
        }
        if (r.ContinuousEmployeeMonths is < 0 or > MaxContinuousMonths) Add("continuous_employee_months", $"between 0 and {MaxContinuousMonths}");
        else if (r.ContinuousEmployeeMonths > 0 && !employee) Add("continuous_employee_months", "counted on employee-insurance records only");

        if (violations.Count > before) return null;
        return new EnrolmentRecord(r.RecordId, person, region, (InsuranceType)r.Insutype, (EnrolmentStatus)r.Status, from!.Value, to!.Value,
            basis, r.CurrentEmployment, studyPlace, r.ContinuousEmployeeMonths);
    }

    private static IdentityNumber Person(SyncV1.PersonRef? p, string path, DateOnly today, List<(string Field, string Description)> violations)
    {
        if (p is null)
        {
            violations.Add((path, "required"));
            return default;
        }
        var type = CertificateDocumentType.ResidentIdentityCard;
        if (!string.IsNullOrEmpty(p.PsnCertType) && !CertificateDocumentTypes.TryFromNationalCode(p.PsnCertType, out type))
        {
            violations.Add(($"{path}.psn_cert_type", "not a national document-type code"));
            return default;
        }
        if (!IdentityNumber.TryParse(type, p.Certno, today, out var id, out var error))
        {
            violations.Add(($"{path}.certno", error ?? "not a valid identity number"));
            return default;
        }
        return id;
    }

    private static YearMonth? Month(string? text, string field, YearMonth latest, Action<string, string> add)
    {
        if (string.IsNullOrEmpty(text)) { add(field, "required, written yyyy-MM"); return null; }
        if (!YearMonth.TryParse(text, out var m, out var error)) { add(field, error ?? "must be a month written yyyy-MM"); return null; }
        if (m < RequestValidation.EarliestMonth) { add(field, $"is before {RequestValidation.EarliestMonth}"); return null; }
        if (m > latest) { add(field, $"is after {latest}"); return null; }
        return m;
    }
}
