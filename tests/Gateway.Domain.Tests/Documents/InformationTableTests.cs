using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class InformationTableTests
{
    private static InformationTable WithRow(InformationTable t, int index, Func<InformationRow, InformationRow> f) =>
        t with { Rows = t.Rows.Select((r, i) => i == index ? f(r) : r).ToList() };

    private static IReadOnlyList<Breaker<InformationTable>> AllBreakers() =>
    [
        .. Breakers.Person<InformationTable>(t => t.Person, (t, p) => t with { Person = p }, "issued_on"),
        new("rows[0].from", t => WithRow(t, 0, r => r with { From = default })),
        new("rows[1].to", t => WithRow(t, 1, r => r with { To = default })),
        new("rows[2].insutype", t => WithRow(t, 2, r => r with { InsuranceType = (InsuranceType)1 })),
        new("rows[0].paid_months", t => WithRow(t, 0, r => r with { PaidMonths = -3 })),
        new("rows[1].agency_name", t => WithRow(t, 1, r => r with { AgencyName = "" })),
        new("rows[2].agency_admdvs", t => WithRow(t, 2, r => r with { AgencyDivision = new DivisionCode("1502") })),
        new("rows[0].remarks", t => WithRow(t, 0, r => r with { Remarks = new string('注', 501) })),
        new("amount_fen", t => t with { Amount = new Money(-1) }, "amount_capitals"),
        new("amount_capitals", t => t with { AmountInCapitals = "壹万元整" }),
        new("handler", t => t with { Handler = "" }),
        new("handler_phone", t => t with { HandlerPhone = "" }),
        .. Breakers.Agency<InformationTable>("agency", t => t.Agency, (t, a) => t with { Agency = a }),
        new("issued_on", t => t with { IssuedOn = default }),
    ];

    [Fact]
    public void Every_bad_field_is_reported_by_its_path_and_only_those()
    {
        Breakers.AssertExactPaths(Samples.Table, t => t.Validate(), AllBreakers(), seed: 12);
    }

    [Fact]
    public void Overlapping_rows_are_refused_on_the_later_row()
    {
        var table = WithRow(Samples.Table, 2, r => r with { From = new YearMonth(2022, 6), PaidMonths = 10 });
        var violation = Assert.Single(table.Validate());
        Assert.Equal("rows[2].from", violation.Field);
        Assert.Contains("rows[1]", violation.Description);
    }

    [Fact]
    public void Adjacent_rows_do_not_overlap_and_order_does_not_matter()
    {
        var reversed = Samples.Table with { Rows = Samples.Table.Rows.Reverse().ToList() };
        Assert.Empty(reversed.Validate());
    }

    [Fact]
    public void Row_must_run_forwards_and_paid_months_fit_inside_it()
    {
        var backwards = WithRow(Samples.Table, 0, r => r with { From = new YearMonth(2019, 1), To = new YearMonth(2018, 12) });
        Assert.Contains(backwards.Validate(), v => v.Field == "rows[0].to" && v.Description.Contains("before"));

        var tooMany = WithRow(Samples.Table, 1, r => r with { PaidMonths = 43 });
        Assert.Equal(["rows[1].paid_months"], tooMany.Validate().Select(v => v.Field));
        Assert.Empty(WithRow(Samples.Table, 1, r => r with { PaidMonths = 42 }).Validate());
    }

    [Fact]
    public void Table_needs_at_least_one_row()
    {
        Assert.Equal(["rows"], (Samples.Table with { Rows = [] }).Validate().Select(v => v.Field));
    }

    [Fact]
    public void Capitals_are_optional_but_must_match_the_amount_when_given()
    {
        Assert.Empty((Samples.Table with { AmountInCapitals = null }).Validate());
        var zero = Samples.Table with { Amount = Money.Zero, AmountInCapitals = "零元整" };
        Assert.Empty(zero.Validate());
        Assert.Equal("零元整", zero.AmountCapitals);
        Assert.Equal(132, Samples.Table.TotalPaidMonths);
    }
}
