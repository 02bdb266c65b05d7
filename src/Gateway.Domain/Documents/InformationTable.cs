using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// Information table (参保人员基本医疗保险信息表, seed 004 附表12), origin → destination with the balance. Paths: person.*, rows,
/// rows[i].from/.to/.insutype/.paid_months/.agency_name/.agency_admdvs/.remarks (i from 0), amount_fen, amount_capitals, handler,
/// handler_phone, agency.*, issued_on.
/// </summary>
public sealed record InformationTable(
    Person Person,
    IReadOnlyList<InformationRow> Rows,
    Money Amount,
    string? AmountInCapitals,
    string Handler,
    string HandlerPhone,
    Agency Agency,
    DateOnly IssuedOn)
{
    public const PersonFields RequiredPersonFields = PersonFields.Gender;

    /// <summary>The amount in capitals as the table prints it.</summary>
    public string AmountCapitals => Amount.ToChineseCapitals();

    public int TotalPaidMonths => Rows.Sum(r => r.PaidMonths);

    public IReadOnlyList<FieldViolation> Validate()
    {
        var v = new ViolationList();
        var dateOk = v.Date("issued_on", IssuedOn);
        Person.Validate(v, "person", RequiredPersonFields, dateOk ? IssuedOn : null);

        if (Rows is null || Rows.Count == 0) v.Add("rows", "at least one enrolment period is required");
        else ValidateRows(v, dateOk ? YearMonth.FromDate(IssuedOn) : null);

        if (Amount.IsNegative) v.Add("amount_fen", "must not be negative");
        else if (!string.IsNullOrWhiteSpace(AmountInCapitals) && AmountInCapitals.Trim() != AmountCapitals)
            v.Add("amount_capitals", $"does not match amount_fen (expected {AmountCapitals})");

        v.Text("handler", Handler, required: true, TextRules.MaxNameLength);
        v.Phone("handler_phone", HandlerPhone, required: true);
        Agency.Validate(v, "agency", AgencyFields.Division);
        return v.ToList();
    }

    private void ValidateRows(ViolationList v, YearMonth? issuedMonth)
    {
        var periods = new List<(int Index, YearMonth From, YearMonth To)>();
        for (var i = 0; i < Rows.Count; i++)
        {
            var row = Rows[i];
            var p = $"rows[{i}]";
            var fromOk = v.Month($"{p}.from", row.From);
            var toOk = false;
            if (row.To == default) v.Add($"{p}.to", "required");
            else if (fromOk && row.To < row.From) v.Add($"{p}.to", "before from");
            else if (issuedMonth is { } m && row.To > m) v.Add($"{p}.to", "after the month of issued_on");
            else toOk = true;

            v.Defined($"{p}.insutype", (InsuranceType?)row.InsuranceType, required: true);
            if (row.PaidMonths < 0) v.Add($"{p}.paid_months", "must not be negative");
            else if (fromOk && toOk && row.PaidMonths > row.From.MonthsThrough(row.To))
                v.Add($"{p}.paid_months", $"more than the {row.From.MonthsThrough(row.To)} months from..to");

            v.Text($"{p}.agency_name", row.AgencyName, required: true);
            v.Check($"{p}.agency_admdvs", row.AgencyDivision.Check());
            v.Text($"{p}.remarks", row.Remarks, required: false, TextRules.MaxRemarksLength);

            if (!fromOk || !toOk) continue;
            var clash = periods.FindIndex(q => row.From <= q.To && q.From <= row.To);
            if (clash >= 0)
            {
                var other = periods[clash];
                v.Add($"{p}.from", $"overlaps rows[{other.Index}] ({other.From}..{other.To})");
            }
            periods.Add((i, row.From, row.To));
        }
    }
}

/// <summary>One enrolment period of the information table: from..to inclusive, at one pooling-region agency.</summary>
public sealed record InformationRow(
    YearMonth From,
    YearMonth To,
    InsuranceType InsuranceType,
    int PaidMonths,
    string AgencyName,
    DivisionCode AgencyDivision,
    string? Remarks = null);
