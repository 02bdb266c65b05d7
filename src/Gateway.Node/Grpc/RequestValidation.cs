using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Grpc;

/// <summary>
/// Maps requests to domain documents and lets the domain say what is wrong. Every violated field is
/// reported at once, by its path in the request (e.g. "application.person.certno"), and nothing changes.
/// </summary>
public static partial class RequestValidation
{
    /// <summary>No document of this exchange predates the 1990s; earlier dates are typing errors, not history.</summary>
    public static readonly DateOnly EarliestDocumentDate = new(1990, 1, 1);
    public static readonly DateOnly EarliestBirthDate = new(1900, 1, 1);
    public static readonly YearMonth EarliestMonth = new(1950, 1);
    /// <summary>Paid months of one person: a century of contributions at most.</summary>
    public const int MaxPaidMonths = 1_200;

    /// <summary>The business date of an acceptance: today unless stated, never in the future, never before <see cref="EarliestDocumentDate"/>.</summary>
    public static DateOnly AcceptanceDate(string? text, DateOnly today)
    {
        if (string.IsNullOrEmpty(text)) return today;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", out var day))
            throw InvalidRequestException.Single("accepted_on", "must be a date written yyyy-MM-dd");
        if (day > today)
            throw InvalidRequestException.Single("accepted_on", $"is after today ({today:yyyy-MM-dd}) in the node's business calendar");
        if (day < EarliestDocumentDate)
            throw InvalidRequestException.Single("accepted_on", $"is before {EarliestDocumentDate:yyyy-MM-dd}");
        return day;
    }

    /// <summary>
    /// Puts identity numbers in their canonical form before anything reads them: a GB 11643 check character 'x' is 'X'
    /// everywhere (the domain's parser does the same), so "…123x" and "…123X" are one person.
    /// </summary>
    public static void Normalize(Proto.Person? person)
    {
        if (person is null || string.IsNullOrEmpty(person.Certno)) return;
        var type = string.IsNullOrEmpty(person.PsnCertType) ? CertificateDocumentType.ResidentIdentityCard
            : CertificateDocumentTypes.TryFromNationalCode(person.PsnCertType, out var t) ? t : (CertificateDocumentType)(-1);
        if (new IdentityNumber(type, person.Certno).IsChecksummed && person.Certno[^1] == 'x')
            person.Certno = person.Certno[..^1] + "X";
    }

    public static void ValidateCertificateForIssue(Proto.Certificate c, string nodeProvince, DateOnly today)
    {
        var v = new Collector();
        var issuedOn = string.IsNullOrEmpty(c.IssuedOn) ? today : v.Date("certificate.issued_on", c.IssuedOn, today);
        var region = new DivisionCode(c.InsuplcAdmdvs ?? "");
        // The node numbers the certificate: validate with a provisional number and ignore that field.
        var number = region.Check() is null && issuedOn != default ? DocumentNumber.Create(region, issuedOn.Year, 1) : new DocumentNumber("");
        var certificate = ToDomain(c, v, "certificate", number, issuedOn, today);
        v.AddRange("certificate", certificate.Validate().Where(f => f.Field != "number"));
        v.ThrowIfAny();
        if (region.Value[..2] != nodeProvince)
            throw new ActingProvinceException("certificate.insuplc_admdvs", nodeProvince,
                $"Node {nodeProvince} issues certificates of its own province only; this one's region {region.Value} is province {region.Value[..2]}'s.");
    }

    public static void ValidateApplication(Proto.SubmitApplicationRequest r, string nodeProvince, DateOnly acceptedOn)
    {
        var v = new Collector();
        if (r.Application is null) v.Add("application", "required");
        if (r.Certificate is null) v.Add("certificate", "required");
        if (r.DestinationAgency is null) v.Add("destination_agency", "required");
        if (r.DestinationAccount is null) v.Add("destination_account", "required: the origin sends the balance there");
        v.ThrowIfAny();

        var certificate = ToDomain(r.Certificate!, v, "certificate", new DocumentNumber(r.Certificate!.Number ?? ""),
            v.Date("certificate.issued_on", r.Certificate.IssuedOn, acceptedOn), acceptedOn);
        v.AddRange("certificate", certificate.Validate());
        if (!v.Has("certificate.issued_on") && !certificate.IsValidForApplicationOn(acceptedOn))
            v.Add("certificate.issued_on", $"a certificate supports an application for {Certificate.ValidityMonths} months; this one ran out on {certificate.ValidThrough:yyyy-MM-dd}");
        if (!v.Has("certificate.insuplc_admdvs") && certificate.OriginRegion.Value[..2] == nodeProvince)
            v.Add("certificate.insuplc_admdvs", "the origin is this node's own province: a transfer within a province does not cross the gateway");

        var a = r.Application!;
        var submittedOn = string.IsNullOrEmpty(a.SubmittedOn) ? acceptedOn : v.Date("application.submitted_on", a.SubmittedOn, acceptedOn);
        var applicationNumber = string.IsNullOrEmpty(a.Number) && r.DestinationAgency!.Admdvs is { Length: 6 } adm && new DivisionCode(adm).Check() is null
            ? DocumentNumber.Create(new DivisionCode(adm), (submittedOn == default ? acceptedOn : submittedOn).Year, 1) // the node numbers it
            : new DocumentNumber(a.Number ?? "");
        var application = new TransferApplication(applicationNumber, submittedOn, ToDomain(a.Person, v, "application.person", acceptedOn),
            (InsuranceType)a.Insutype, ToDomain(a.OriginAgency), a.Applicant is null ? null
                : new Applicant(a.Applicant.Name, new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, a.Applicant.Certno),
                    a.Applicant.Relation, a.Applicant.Phone, a.Applicant.Address));
        v.AddRange("application", application.Validate());
        if (!v.Has("application.person.certno") && !v.Has("certificate.person.certno") && a.Person.Certno != r.Certificate.Person?.Certno)
            v.Add("application.person.certno", "differs from the certificate's identity number");
        if (!v.Has("application.insutype") && !v.Has("certificate.insutype") && a.Insutype != r.Certificate.Insutype)
            v.Add("application.insutype", "differs from the certificate's insurance type");

        // The contact letter is built from the request: its own fields are the destination's agency, account and handler.
        var letter = new ContactLetter(applicationNumber, acceptedOn, application.OriginAgency, application.Person, true,
            application.InsuranceType, ToDomain(r.DestinationAgency!), ToDomain(r.DestinationAccount!), r.Handler, r.HandlerPhone);
        v.AddRange("", letter.Validate().Where(f =>
            f.Field.StartsWith("destination_agency", StringComparison.Ordinal) || f.Field.StartsWith("destination_account", StringComparison.Ordinal) ||
            f.Field.StartsWith("handler", StringComparison.Ordinal)));
        v.ThrowIfAny();
        if (r.DestinationAgency!.Admdvs[..2] != nodeProvince)
            throw new ActingProvinceException("destination_agency.admdvs", nodeProvince,
                $"Node {nodeProvince} accepts applications for its own agencies only; the destination agency {r.DestinationAgency.Admdvs} is province {r.DestinationAgency.Admdvs[..2]}'s.");
    }

    public static void ValidateInformationTable(Proto.InformationTable t, long transferredAmountFen, DateOnly today)
    {
        var v = new Collector();
        var issuedOn = v.Date("information_table.table.issued_on", t.IssuedOn, today);
        var rows = t.Rows.Select((row, i) => new InformationRow(
            v.Month($"information_table.table.rows[{i}].from", row.From, today), v.Month($"information_table.table.rows[{i}].to", row.To, today),
            (InsuranceType)row.Insutype, row.PaidMonths, row.AgencyName, new DivisionCode(row.AgencyAdmdvs ?? ""),
            string.IsNullOrEmpty(row.Remarks) ? null : row.Remarks)).ToList();
        for (var i = 0; i < t.Rows.Count; i++)
            if (t.Rows[i].PaidMonths is < 0 or > MaxPaidMonths) v.Add($"information_table.table.rows[{i}].paid_months", $"between 0 and {MaxPaidMonths}");
        v.Fen("information_table.table.amount_fen", t.AmountFen);
        v.Fen("information_table.transferred_amount_fen", transferredAmountFen);
        var table = new InformationTable(ToDomain(t.Person, v, "information_table.table.person", today), rows, new Money(t.AmountFen), null,
            t.Handler, t.HandlerPhone, ToDomain(t.Agency), issuedOn);
        v.AddRange("information_table.table", table.Validate());
        v.ThrowIfAny();
    }

    private static Certificate ToDomain(Proto.Certificate c, Collector v, string prefix, DocumentNumber number, DateOnly issuedOn, DateOnly today)
    {
        v.Fen(prefix + ".account_balance_fen", c.AccountBalanceFen);
        if (c.PaidMonths > MaxPaidMonths) v.Add(prefix + ".paid_months", $"at most {MaxPaidMonths}");
        return new(number, issuedOn, ToDomain(c.Person, v, prefix + ".person", today), (InsuranceType)c.Insutype, new DivisionCode(c.InsuplcAdmdvs ?? ""),
            v.Month(prefix + ".enrolled_from", c.EnrolledFrom, today), v.Month(prefix + ".enrolled_to", c.EnrolledTo, today), c.PaidMonths,
            new Money(c.AccountBalanceFen), ToDomain(c.IssuingAgency));
    }

    private static Person ToDomain(Proto.Person? p, Collector v, string path, DateOnly today)
    {
        if (p is null)
        {
            v.Add(path, "required");
            return new Person("", new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, ""));
        }
        var type = string.IsNullOrEmpty(p.PsnCertType) ? CertificateDocumentType.ResidentIdentityCard
            : CertificateDocumentTypes.TryFromNationalCode(p.PsnCertType, out var t) ? t : (CertificateDocumentType)(-1);
        DateOnly? birth = string.IsNullOrEmpty(p.Brdy) ? null : v.Date(path + ".brdy", p.Brdy, today, EarliestBirthDate);
        return new Person(p.PsnName, new IdentityNumber(type, p.Certno ?? ""),
            p.Gend == Proto.Gender.Unspecified ? null : (Gender)p.Gend, birth == default(DateOnly) ? null : birth, Blank(p.Phone),
            p.HouseholdType == Proto.HouseholdType.Unspecified ? null : (HouseholdType)p.HouseholdType,
            Blank(p.HouseholdAddress), Blank(p.ContactAddress), Blank(p.Postcode));
    }

    private static Agency ToDomain(Proto.Agency? a) => a is null
        ? new Agency("", new DivisionCode(""))
        : new Agency(a.Name, new DivisionCode(a.Admdvs ?? ""), Blank(a.Address), Blank(a.Postcode), Blank(a.Contact), Blank(a.Phone));

    private static BankAccount ToDomain(Proto.BankAccount b) => new(b.AccountName, b.BankName, b.BankCode, b.AccountNumber);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Collects violations by request path; the first description per field wins.</summary>
    private sealed partial class Collector
    {
        private readonly List<(string Field, string Description)> _items = [];

        public bool Has(string field) => _items.Exists(i => i.Field == field);

        public void Add(string field, string description)
        {
            if (!Has(field)) _items.Add((field, description));
        }

        public void AddRange(string prefix, IEnumerable<FieldViolation> violations)
        {
            foreach (var f in violations) Add(prefix.Length == 0 ? f.Field : $"{prefix}.{f.Field}", f.Description);
        }

        /// <summary>A date between <paramref name="earliest"/> (default <see cref="EarliestDocumentDate"/>) and <paramref name="latest"/>; default when absent or wrong.</summary>
        public DateOnly Date(string field, string? text, DateOnly latest, DateOnly? earliest = null)
        {
            if (string.IsNullOrEmpty(text)) return default; // the domain reports "required"
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", out var d))
            {
                Add(field, "must be a date written yyyy-MM-dd");
                return default;
            }
            var from = earliest ?? EarliestDocumentDate;
            if (d < from) Add(field, $"is before {from:yyyy-MM-dd}");
            else if (d > latest) Add(field, $"is after {latest:yyyy-MM-dd}");
            else return d;
            return default;
        }

        public YearMonth Month(string field, string? text, DateOnly today)
        {
            if (string.IsNullOrEmpty(text)) return default;
            if (!YearMonth.TryParse(text, out var m, out var error))
            {
                Add(field, error ?? "must be a month written yyyy-MM");
                return default;
            }
            if (m < EarliestMonth) Add(field, $"is before {EarliestMonth}");
            else if (m > YearMonth.FromDate(today)) Add(field, $"is after the month of {today:yyyy-MM-dd}");
            else return m;
            return default;
        }

        /// <summary>An amount the domain's <see cref="Money"/> can hold and write in capitals.</summary>
        public void Fen(string field, long fen)
        {
            if (fen < 0) Add(field, "must not be negative");
            else if (fen > Money.MaxFen) Add(field, $"at most {Money.MaxFen} fen");
        }

        public void ThrowIfAny()
        {
            if (_items.Count > 0) throw new InvalidRequestException(_items.ToList());
        }
    }
}
