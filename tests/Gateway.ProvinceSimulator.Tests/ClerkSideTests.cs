namespace Gateway.ProvinceSimulator.Tests;

/// <summary>What a clerk does through the node's transfer API, with an idempotency key per business act.</summary>
public sealed class ClerkSideTests
{
    [Fact]
    public async Task Issuing_a_certificate_sends_it_with_a_stable_idempotency_key()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.PersonWith(p => p.BalanceFen > 0);

        var first = await rig.System.IssueCertificateAsync(person, new DateOnly(2026, 3, 2));
        await rig.System.IssueCertificateAsync(person, new DateOnly(2026, 3, 2));

        Assert.NotEmpty(first.Number);
        Assert.Equal(person.BalanceFen, first.AccountBalanceFen);
        var calls = rig.Transfers.Certificates.ToList();
        Assert.Equal(2, calls.Count);
        Assert.Matches("^certificate-[0-9a-f]{16}-20260302$", calls[0].Key);
        Assert.DoesNotContain(person.IdentityNumber[6..14], calls[0].Key); // no identity number in keys
        var other = rig.PersonWith(p => p.IdentityNumber != person.IdentityNumber);
        await rig.System.IssueCertificateAsync(other, new DateOnly(2026, 3, 2));
        Assert.NotEqual(calls[0].Key, rig.Transfers.Certificates.Last().Key);
        Assert.Equal(calls[0], calls[1]);
    }

    [Fact]
    public async Task Submitting_an_application_sends_the_certificate_with_local_agency_and_account()
    {
        var origin = SyntheticRegistry.Create("15", 10, seed: 4);
        var certificate = new ProvinceDocuments(origin.Profile).BuildCertificate(origin.People[0], null, new DateOnly(2026, 3, 2));
        certificate.Number = "15010020260000042";
        await using var rig = await SimulatorRig.StartAsync("51");

        var transfer = await rig.System.SubmitApplicationAsync(certificate, new DateOnly(2026, 3, 9));
        await rig.System.SubmitApplicationAsync(certificate, new DateOnly(2026, 3, 9));

        Assert.Equal("T-15010020260000042", transfer.TransferId);
        var calls = rig.Transfers.Applications.ToList();
        Assert.Equal("application-15010020260000042-20260309", calls[0].Key);
        Assert.Equal(calls[0], calls[1]);
        Assert.Equal("成都市医疗保障事务中心", calls[0].Request.DestinationAgency.Name);
        Assert.Equal(certificate, calls[0].Request.Certificate);
    }
}
