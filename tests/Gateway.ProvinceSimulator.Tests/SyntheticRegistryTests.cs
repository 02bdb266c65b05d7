using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator.Tests;

public sealed class SyntheticRegistryTests
{
    private static SyntheticPerson WithBalance(SyntheticRegistry r) => r.People.First(p => p.BalanceFen > 0);

    [Fact]
    public void The_same_seed_gives_the_same_people_and_another_seed_different_ones()
    {
        var a = SyntheticRegistry.Create("51", 50, seed: 42).People;
        var b = SyntheticRegistry.Create("51", 50, seed: 42).People;
        var c = SyntheticRegistry.Create("51", 50, seed: 43).People;
        Assert.Equal(a.Select(p => (p.IdentityNumber, p.Name, p.BalanceFen)), b.Select(p => (p.IdentityNumber, p.Name, p.BalanceFen)));
        Assert.NotEqual(a.Select(p => p.IdentityNumber), c.Select(p => p.IdentityNumber));
    }

    [Fact]
    public void Every_province_registry_holds_identity_numbers_a_node_accepts()
    {
        // 66 (the Production and Construction Corps) is no identity-number prefix: its people carry Xinjiang county codes.
        foreach (var province in Gateway.Domain.Values.ProvinceCode.All.Select(p => p.Value))
            foreach (var p in SyntheticRegistry.Create(province, 20, seed: 3).People)
            {
                Assert.True(Gateway.Domain.Values.IdentityNumber.TryParse(p.IdentityNumber, out _, out var why), $"{province}: {p.IdentityNumber}: {why}");
                Assert.StartsWith(province, p.PoolingRegion);
            }
        Assert.All(SyntheticRegistry.Create("66", 20, seed: 3).People, p => Assert.StartsWith("659001", p.IdentityNumber));
    }

    [Fact]
    public void Generated_people_have_plausible_records()
    {
        var registry = SyntheticRegistry.Create("64", 200, seed: 5);
        foreach (var p in registry.People)
        {
            Assert.InRange(p.Name.Length, 2, 3);
            Assert.Matches("^1[3-9][0-9]{9}$", p.Phone);
            Assert.StartsWith("64", p.PoolingRegion);
            Assert.EndsWith("00", p.PoolingRegion);
            Assert.NotEmpty(p.Periods);
            // Periods follow each other month by month and never pay more months than they span.
            for (var i = 0; i < p.Periods.Count; i++)
            {
                var period = p.Periods[i];
                var span = (period.ToMonth.Year - period.FromMonth.Year) * 12 + period.ToMonth.Month - period.FromMonth.Month + 1;
                Assert.InRange(period.PaidMonths, 1, span);
                Assert.StartsWith("64", period.AgencyAdmdvs);
                Assert.EndsWith("医疗保障事务中心", period.AgencyName);
                if (i > 0) Assert.Equal(p.Periods[i - 1].ToMonth.AddMonths(1), period.FromMonth);
            }
            Assert.True(p.Periods[^1].ToMonth <= new DateOnly(2025, 12, 1));
            if (p.Status == EnrolmentState.Active) Assert.Equal(new DateOnly(2025, 12, 1), p.Periods[^1].ToMonth);
            // Resident insurance has no personal account.
            if (p.InsuranceType == InsuranceType.Resident) Assert.Equal(0, p.BalanceFen);
        }
        Assert.Contains(registry.People, p => p.Status == EnrolmentState.Suspended);
        Assert.Contains(registry.People, p => p.Status == EnrolmentState.Active);
        Assert.Contains(registry.People, p => p.InsuranceType == InsuranceType.Employee && p.BalanceFen > 0);
    }

    [Fact]
    public void Debit_takes_the_whole_balance_once_per_item_id()
    {
        var registry = SyntheticRegistry.Create("15", 20, seed: 1);
        var person = WithBalance(registry);
        var before = person.BalanceFen;

        Assert.Equal(before, registry.Debit("item-1", person.IdentityNumber));
        Assert.Equal(0, registry.BalanceOf(person.IdentityNumber));
        registry.Credit("refill", person.IdentityNumber, 500);

        // Same item id again: the first result, and the refill stays untouched.
        Assert.Equal(before, registry.Debit("item-1", person.IdentityNumber));
        Assert.Equal(500, registry.BalanceOf(person.IdentityNumber));
        // A new item id acts again.
        Assert.Equal(500, registry.Debit("item-2", person.IdentityNumber));
        Assert.Equal(0, registry.BalanceOf(person.IdentityNumber));
    }

    [Fact]
    public void Credit_adds_once_per_item_id_even_when_repeated_with_another_amount()
    {
        var registry = SyntheticRegistry.Create("51", 5, seed: 2);
        var person = registry.People[0];
        var before = person.BalanceFen;

        Assert.Equal(12_345, registry.Credit("credit-1", person.IdentityNumber, 12_345));
        Assert.Equal(12_345, registry.Credit("credit-1", person.IdentityNumber, 99_999));
        Assert.Equal(before + 12_345, registry.BalanceOf(person.IdentityNumber));
        Assert.True(registry.HasApplied("credit-1"));
        Assert.False(registry.HasApplied("credit-2"));
    }

    [Fact]
    public void An_item_id_used_for_a_debit_cannot_be_replayed_as_a_credit()
    {
        var registry = SyntheticRegistry.Create("51", 5, seed: 2);
        var person = registry.People[0];
        registry.Debit("x", person.IdentityNumber);
        Assert.Throws<InvalidOperationException>(() => registry.Credit("x", person.IdentityNumber, 1));
    }

    [Fact]
    public void Money_is_conserved_across_a_debit_at_the_origin_and_a_credit_at_the_destination_with_repeats()
    {
        var origin = SyntheticRegistry.Create("15", 30, seed: 9);
        var destination = SyntheticRegistry.Create("51", 30, seed: 9);
        var total = origin.TotalBalance() + destination.TotalBalance();
        var movers = origin.People.Where(p => p.BalanceFen > 0).Take(5).ToList();
        Assert.NotEmpty(movers);

        foreach (var p in movers)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var sent = origin.Debit("table-" + p.IdentityNumber, p.IdentityNumber);
                destination.Add(p with { BalanceFen = 0, Periods = [] });
                destination.Credit("credit-" + p.IdentityNumber, p.IdentityNumber, sent);
            }
            Assert.Equal(0, origin.BalanceOf(p.IdentityNumber));
            Assert.Equal(p.BalanceFen, destination.BalanceOf(p.IdentityNumber));
        }
        Assert.Equal(total, origin.TotalBalance() + destination.TotalBalance());
    }

    [Fact]
    public void Concurrent_debits_with_one_item_id_debit_once()
    {
        var registry = SyntheticRegistry.Create("15", 20, seed: 1);
        var person = WithBalance(registry);
        var amounts = new long[64];
        Parallel.For(0, amounts.Length, i => amounts[i] = registry.Debit("same", person.IdentityNumber));
        Assert.All(amounts, a => Assert.Equal(person.BalanceFen, a));
        Assert.Equal(0, registry.BalanceOf(person.IdentityNumber));
    }

    [Fact]
    public void Find_accepts_a_lower_case_check_char_and_status_changes_stick()
    {
        var registry = SyntheticRegistry.Create("51", 300, seed: 11);
        var person = registry.People.First(p => p.IdentityNumber.EndsWith('X'));
        Assert.Same(person, registry.Find(person.IdentityNumber.ToLowerInvariant()));

        registry.SetStatus(person.IdentityNumber, EnrolmentState.Suspended);
        Assert.Equal(EnrolmentState.Suspended, registry.Find(person.IdentityNumber)!.Status);
        Assert.False(registry.Add(person));
        Assert.Null(registry.Find("510104199001010000"));
        Assert.Throws<KeyNotFoundException>(() => registry.Debit("d", "510104199001010000"));
    }
}
