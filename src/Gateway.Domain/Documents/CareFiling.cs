using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// Cross-region care filing (异地就医备案登记表, seed 004 附表13), made in the insured province for care in another.
/// Paths: filing_id, filed_on, person.*, second_phone, insutype, category, category_note, insuplc_admdvs, destination_province,
/// destination_city, destination_county, insured_address, care_address, valid_from, valid_to, status.
/// </summary>
public sealed record CareFiling(
    string FilingId,
    DateOnly FiledOn,
    Person Person,
    string? SecondPhone,
    InsuranceType InsuranceType,
    CareFilingCategory Category,
    string? CategoryNote,
    DivisionCode InsuredRegion,
    ProvinceCode DestinationProvince,
    DivisionCode? DestinationCity,
    DivisionCode? DestinationCounty,
    string InsuredAddress,
    string CareAddress,
    DateOnly ValidFrom,
    DateOnly? ValidTo,
    CareFilingStatus Status = CareFilingStatus.Active)
{
    public const PersonFields RequiredPersonFields = PersonFields.Gender | PersonFields.Phone;
    public const int MaxFilingIdLength = 64;

    /// <summary>
    /// Filings for care in these are made to the province only, never a city or county (seed 004 附表13 温馨提示 3):
    /// 北京 11, 天津 12, 上海 31, 海南 46, 重庆 50, 西藏 54, 新疆生产建设兵团 66.
    /// </summary>
    public static IReadOnlySet<string> ProvinceOnlyDestinations { get; } = new HashSet<string> { "11", "12", "31", "46", "50", "54", "66" };

    public static bool NamesProvinceOnly(ProvinceCode province) => province.Value is not null && ProvinceOnlyDestinations.Contains(province.Value);

    /// <summary>Applies a lifecycle action; New and Change keep the content (a change is a `with` copy carrying the new content).</summary>
    public CareFiling Apply(CareFilingAction action) =>
        CareFilingLifecycle.TryApply(Status, action, out var next, out var error)
            ? this with { Status = next }
            : throw new InvalidOperationException($"Filing {FilingId}: {error}.");

    public bool IsInForceOn(DateOnly day) => Status == CareFilingStatus.Active && day >= ValidFrom && (ValidTo is null || day <= ValidTo);

    public IReadOnlyList<FieldViolation> Validate()
    {
        var v = new ViolationList();
        v.Check("filing_id", CheckFilingId(FilingId));
        var filedOk = v.Date("filed_on", FiledOn);
        Person.Validate(v, "person", RequiredPersonFields, filedOk ? FiledOn : null);
        v.Phone("second_phone", SecondPhone, required: false);

        v.Defined("insutype", (InsuranceType?)InsuranceType, required: true);
        if (v.Defined("category", (CareFilingCategory?)Category, required: true)
            && Category is CareFilingCategory.RetiredResettled or CareFilingCategory.PostedWorker
            && InsuranceType == InsuranceType.Resident)
            v.Add("category", "only employee-insurance members file as retired-resettled or posted workers (seed 004 items 17, 19)");
        // The form's "其他" box is filled in by hand: without the note nobody knows what the filing is for.
        v.Text("category_note", CategoryNote, required: Category == CareFilingCategory.TemporaryOther);

        var insuredOk = v.Check("insuplc_admdvs", InsuredRegion.Check());
        ValidateDestination(v, insuredOk);

        v.Text("insured_address", InsuredAddress, required: true);
        v.Text("care_address", CareAddress, required: true);

        var fromOk = v.Date("valid_from", ValidFrom);
        if (fromOk && ValidTo is { } to && to < ValidFrom) v.Add("valid_to", "before valid_from");
        v.Defined("status", (CareFilingStatus?)Status, required: true);
        return v.ToList();
    }

    private void ValidateDestination(ViolationList v, bool insuredOk)
    {
        if (!v.Check("destination_province", DestinationProvince.Check())) return;
        if (insuredOk && DestinationProvince == InsuredRegion.Province)
        {
            v.Add("destination_province", $"not cross-region: the destination is the insured province {DestinationProvince}");
            return;
        }

        var provinceOnly = NamesProvinceOnly(DestinationProvince);
        var provinceOnlyReason = $"filings to province {DestinationProvince} name the province only; leave city and county empty";
        var city = DestinationCity is { Value.Length: > 0 } c ? c : (DivisionCode?)null;
        var county = DestinationCounty is { Value.Length: > 0 } k ? k : (DivisionCode?)null;

        var cityOk = false;
        if (city is { } cityCode)
        {
            if (provinceOnly) v.Add("destination_city", provinceOnlyReason);
            else if (v.Check("destination_city", cityCode.Check()))
            {
                if (cityCode.Province != DestinationProvince) v.Add("destination_city", "not in destination_province");
                else if (!cityCode.IsPrefectureLevel) v.Add("destination_city", "not a prefecture-level code (xxyy00)");
                else cityOk = true;
            }
        }

        if (county is { } countyCode)
        {
            if (provinceOnly) v.Add("destination_county", provinceOnlyReason);
            else if (v.Check("destination_county", countyCode.Check()))
            {
                if (countyCode.Province != DestinationProvince) v.Add("destination_county", "not in destination_province");
                else if (!countyCode.IsCountyLevel) v.Add("destination_county", "not a county-level code");
                else if (cityOk && !city!.Value.Contains(countyCode)) v.Add("destination_county", "not in destination_city");
            }
        }
    }

    /// <summary>Null when <paramref name="id"/> can name a filing, otherwise why not.</summary>
    public static string? CheckFilingId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return "required";
        if (id.Length > MaxFilingIdLength) return $"at most {MaxFilingIdLength} characters";
        return id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? null : "only letters, digits, '-' and '_'";
    }
}
