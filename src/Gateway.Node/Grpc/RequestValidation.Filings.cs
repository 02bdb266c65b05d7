using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using SyncProto = Gateway.Contracts.Sync.V1;

namespace Gateway.Node.Grpc;

// Filings and the record watch: the same rules as the transfer requests (domain first, every violation by request path).
public static partial class RequestValidation
{
    /// <summary>Validity periods end within the century; later dates are typing errors.</summary>
    public static readonly DateOnly LatestValidityDate = new(2099, 12, 31);
    public const int MaxWatchKinds = 10;
    public const int MaxKindLength = 32;

    /// <summary>
    /// A filing as the owner files or changes it: the domain's rules (own-province destination, province-only
    /// destinations, categories for employee insurance, ...) plus the owner's: its insured region is in this province.
    /// <paramref name="status"/> is the status the owner keeps (a request's status field is ignored).
    /// </summary>
    public static CareFiling ValidateFilingForOwner(SyncProto.Filing? f, string nodeProvince, DateOnly today, CareFilingStatus status)
    {
        var v = new Collector();
        if (f is null)
        {
            v.Add("filing", "required");
            v.ThrowIfAny();
        }
        var filing = ToDomain(f!, v, "filing", today, today, status);
        v.AddRange("filing", filing.Validate());
        v.ThrowIfAny();
        if (filing.InsuredRegion.Province.Value != nodeProvince)
            throw new ActingProvinceException("filing.insuplc_admdvs", nodeProvince,
                $"Insured in province {filing.InsuredRegion.Province}: its owner files it, and this node is {nodeProvince}.");
        return filing;
    }

    /// <summary>A filing received from its owner, with the status it carries; the violations when it is not one.</summary>
    public static IReadOnlyList<(string Field, string Description)> FilingViolations(SyncProto.Filing f, out CareFiling filing)
    {
        var v = new Collector();
        var status = f.Status == SyncProto.FilingStatus.Unspecified ? (CareFilingStatus)0 : (CareFilingStatus)f.Status;
        filing = ToDomain(f, v, "filing", LatestValidityDate, null, status);
        v.AddRange("filing", filing.Validate());
        return v.Items;
    }

    /// <summary>filing_id and expected_version of a change or lifecycle step.</summary>
    public static void ValidateFilingStep(string filingId, long expectedVersion, string idPath = "filing_id")
    {
        var v = new Collector();
        if (CareFiling.CheckFilingId(filingId) is { } problem) v.Add(idPath, problem);
        if (expectedVersion < 1) v.Add("expected_version", "required: the version this step is based on (1 or more)");
        v.ThrowIfAny();
    }

    public static void ValidateGetFiling(SyncProto.GetFilingRequest r)
    {
        var v = new Collector();
        v.Province("owner_province", r.OwnerProvince, required: true);
        if (CareFiling.CheckFilingId(r.FilingId) is { } problem) v.Add("filing_id", problem);
        v.ThrowIfAny();
    }

    /// <summary>The list's filters as the store takes them; <paramref name="pageSize"/> defaulted, the page token decoded.</summary>
    public static (DateOnly? ValidOn, int PageSize, long After) ValidateListFilings(SyncProto.ListFilingsRequest r, int defaultPageSize, int maxPageSize)
    {
        var v = new Collector();
        if (r.Scope == SyncProto.FilingScope.Unspecified) v.Add("scope", "required: FILING_SCOPE_OWNED or FILING_SCOPE_HELD");
        else if (!Enum.IsDefined(r.Scope)) v.Add("scope", "not a FilingScope this API defines");
        if (!Enum.IsDefined(r.Category)) v.Add("category", "not a FilingCategory this API defines");
        if (!Enum.IsDefined(r.Status)) v.Add("status", "not a FilingStatus this API defines");
        DateOnly? validOn = string.IsNullOrEmpty(r.ValidOn) ? null : v.Date("valid_on", r.ValidOn, LatestValidityDate);
        if (validOn == default(DateOnly)) validOn = null;
        if (!string.IsNullOrEmpty(r.CounterpartProvince)) v.Province("counterpart_province", r.CounterpartProvince, required: false);
        if (r.PageSize < 0 || r.PageSize > maxPageSize) v.Add("page_size", $"between 1 and {maxPageSize} (0 means {defaultPageSize})");
        long after = 0;
        if (!string.IsNullOrEmpty(r.PageToken) && !FilingPageToken.TryDecode(r.PageToken, out after))
            v.Add("page_token", "not a token this list returned");
        v.ThrowIfAny();
        return (validOn, r.PageSize == 0 ? defaultPageSize : r.PageSize, after);
    }

    public static IdentityNumber ValidatePersonLookup(SyncProto.GetPersonFilingsRequest r)
    {
        var v = new Collector();
        var type = CertificateDocumentType.ResidentIdentityCard;
        if (!string.IsNullOrEmpty(r.PsnCertType) && !CertificateDocumentTypes.TryFromNationalCode(r.PsnCertType, out type))
            v.Add("psn_cert_type", "not a national document-type code");
        if (string.IsNullOrWhiteSpace(r.Certno)) v.Add("certno", "required");
        v.ThrowIfAny();
        var identity = new IdentityNumber(type, r.Certno.Trim());
        // The checksum character 'x' is 'X' everywhere, as Normalize does for documents.
        return identity.IsChecksummed && identity.Value.EndsWith('x') ? new IdentityNumber(type, identity.Value[..^1] + "X") : identity;
    }

    public static void ValidateWatch(SyncProto.WatchRecordsRequest r)
    {
        var v = new Collector();
        if (r.Cursor < 0) v.Add("cursor", "0 or a seq this stream returned");
        if (r.Kinds.Count > MaxWatchKinds) v.Add("kinds", $"at most {MaxWatchKinds}");
        else
            for (var i = 0; i < r.Kinds.Count; i++)
                if (r.Kinds[i] is not { Length: > 0 and <= MaxKindLength } kind || !kind.All(c => char.IsAsciiLetterLower(c) || c == '_'))
                    v.Add($"kinds[{i}]", $"a record kind such as \"filing\": lower-case letters and '_', at most {MaxKindLength}");
        v.ThrowIfAny();
    }

    /// <param name="defaultFiledOn">The date an absent filed_on means (the owner's today); null: absent is "required".</param>
    private static CareFiling ToDomain(SyncProto.Filing f, Collector v, string path, DateOnly latestFiledOn, DateOnly? defaultFiledOn, CareFilingStatus status)
    {
        var filedOn = string.IsNullOrEmpty(f.FiledOn) ? defaultFiledOn ?? default : v.Date($"{path}.filed_on", f.FiledOn, latestFiledOn);
        if (f.Insutype == Contracts.Transfer.V1.InsuranceType.Unspecified) v.Add($"{path}.insutype", "required: 310 or 390");
        if (f.Category == SyncProto.FilingCategory.Unspecified) v.Add($"{path}.category", "required");
        var validFrom = v.Date($"{path}.valid_from", f.ValidFrom, LatestValidityDate);
        DateOnly? validTo = string.IsNullOrEmpty(f.ValidTo) ? null : v.Date($"{path}.valid_to", f.ValidTo, LatestValidityDate);
        if (validTo == default(DateOnly)) validTo = null;
        return new CareFiling(
            f.FilingId ?? "",
            filedOn,
            ToDomain(f.Person, v, $"{path}.person", filedOn == default ? latestFiledOn : filedOn),
            Blank(f.SecondPhone),
            (InsuranceType)f.Insutype,
            (CareFilingCategory)f.Category,
            Blank(f.CategoryNote),
            new DivisionCode(f.InsuplcAdmdvs ?? ""),
            new ProvinceCode(f.DestinationProvince ?? ""),
            string.IsNullOrEmpty(f.DestinationCity) ? null : new DivisionCode(f.DestinationCity),
            string.IsNullOrEmpty(f.DestinationCounty) ? null : new DivisionCode(f.DestinationCounty),
            f.InsuredAddress ?? "",
            f.CareAddress ?? "",
            validFrom,
            validTo,
            status);
    }

    private sealed partial class Collector
    {
        public IReadOnlyList<(string Field, string Description)> Items => _items;

        public void Province(string field, string? text, bool required)
        {
            if (string.IsNullOrEmpty(text)) { if (required) Add(field, "required"); return; }
            if (new ProvinceCode(text).Check() is { } problem) Add(field, problem);
        }
    }
}

/// <summary>An opaque list position: the last row's arrival number, so pages stay stable while rows are added.</summary>
public static class FilingPageToken
{
    private const string Prefix = "f1.";

    public static string Encode(long rowNo) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(Prefix + rowNo.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string token, out long rowNo)
    {
        rowNo = 0;
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var text = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(b64));
            return text.StartsWith(Prefix, StringComparison.Ordinal)
                   && long.TryParse(text.AsSpan(Prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out rowNo)
                   && rowNo > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
