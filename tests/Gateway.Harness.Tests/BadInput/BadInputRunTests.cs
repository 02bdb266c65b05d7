using Gateway.Harness.BadInput;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Harness.Tests.BadInput;

/// <summary>Two in-process nodes with their (paused) province systems, plus 44 in the directory so trust forgeries verify.</summary>
public sealed class BadInputClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 20, DirectoryOnlyProvinces = ["44"],
        });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BadInputCollection : ICollectionFixture<BadInputClusterFixture>
{
    public const string Name = "bad-input run";
}

/// <summary>
/// The reduced CI form of the bad-input run (issue 13): 1,500 generated requests over every mutating call and 200 hostile
/// envelopes. BAD_INPUT_REQUESTS / BAD_INPUT_ENVELOPES set the sizes for the full run (10,000 requests).
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed class BadInputRunTests(BadInputClusterFixture fx, ITestOutputHelper output)
{
    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var n) && n > 0 ? n : fallback;

    [Fact]
    public async Task A_reduced_run_gets_a_clear_answer_for_every_input_no_crash_and_no_state_change()
    {
        var options = new BadInputOptions
        {
            Requests = FromEnvironment("BAD_INPUT_REQUESTS", 1_500),
            Envelopes = FromEnvironment("BAD_INPUT_ENVELOPES", 200),
            Seed = FromEnvironment("BAD_INPUT_SEED", 20261122),
            ViolationsKept = 50,
        };

        var report = await BadInputRun.RunAsync(fx.Cluster, options);
        output.WriteLine(report.ToText());
        if (Environment.GetEnvironmentVariable("BAD_INPUT_REPORT") is { Length: > 0 } path) await File.WriteAllTextAsync(path, report.ToJson());

        Assert.Equal(options.Requests, report.RequestsTried);
        Assert.DoesNotContain(report.Statuses.Keys, k => k.StartsWith("INTERNAL", StringComparison.Ordinal) || k.StartsWith("UNKNOWN", StringComparison.Ordinal));
        Assert.Empty(report.Crashes);
        Assert.False(report.StateChanged, string.Join("\n", report.StateDifferences));
        Assert.True(report.ViolationCount == 0, string.Join("\n", report.Violations.Select(v => $"{v.Call} [{v.Category}] {v.Input} => {v.Problem}")));
        Assert.True(report.Passed);
        // Every mutating call was tried, and most inputs were refused for a reason the caller can act on.
        Assert.Subset(report.RequestsByCall.Keys.ToHashSet(), BadInputRun.MutatingCalls.ToHashSet());
        Assert.True(report.Statuses.GetValueOrDefault("OK") < report.RequestsTried / 10, "only exact repeats may be OK");
        // Every forgery and garbage record is a dead letter with its reason; every replay was deduplicated.
        Assert.Equal(options.Envelopes, report.EnvelopesTried);
        Assert.Equal(report.EnvelopesTried, report.EnvelopeOutcomes.GetValueOrDefault("dead-lettered with a reason")
                                            + report.EnvelopeOutcomes.GetValueOrDefault("ignored as a duplicate"));
        Assert.True(report.EnvelopeOutcomes.GetValueOrDefault("ignored as a duplicate") > 0, "the run replays applied envelopes");
        Assert.Contains(report.DeadLetterReasons.Keys, k => k.StartsWith("SIGNATURE_", StringComparison.Ordinal));
        Assert.Contains("SENDER_MISMATCH", report.DeadLetterReasons.Keys);
    }
}

/// <summary>The checker itself can fail: each forbidden answer and a changed database are reported as violations.</summary>
[Collection(BadInputCollection.Name)]
public sealed class BadInputCheckerTests(BadInputClusterFixture fx)
{
    private static Google.Rpc.Status Status(StatusCode code, params IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = "test" };
        foreach (var d in details) status.Details.Add(Any.Pack(d));
        return status;
    }

    private static readonly BadRequest Violations = new() { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "x", Description = "bad" } } };

    public static TheoryData<string> Forbidden => ["INTERNAL", "UNKNOWN", "OK for bad input", "INVALID_ARGUMENT without violations",
        "FAILED_PRECONDITION without a reason", "UNAVAILABLE", "repeat refused", "message echoing the input"];

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void A_forbidden_answer_is_a_violation_and_fails_the_report(string what)
    {
        var (expected, status) = what switch
        {
            "INTERNAL" => (Expectation.Refused, Status(StatusCode.Internal)),
            "UNKNOWN" => (Expectation.Refused, Status(StatusCode.Unknown)),
            "OK for bad input" => (Expectation.Refused, (Google.Rpc.Status?)null),
            "INVALID_ARGUMENT without violations" => (Expectation.Refused, Status(StatusCode.InvalidArgument)),
            "FAILED_PRECONDITION without a reason" => (Expectation.Refused, Status(StatusCode.FailedPrecondition)),
            "UNAVAILABLE" => (Expectation.Refused, Status(StatusCode.Unavailable)),
            "repeat refused" => (Expectation.Replayed, Status(StatusCode.FailedPrecondition, new ErrorInfo { Reason = "IDEMPOTENCY_KEY_REUSED" })),
            _ => (Expectation.Refused, new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = new string('长', 5_000), Details = { Any.Pack(Violations) } }),
        };
        var report = new BadInputReport();

        var classification = BadInputRun.Record(report, "TransferService.IssueCertificate", "test", what, expected, status);

        Assert.False(classification.Allowed);
        Assert.Equal(1, report.ViolationCount);
        Assert.Equal(what, Assert.Single(report.Violations).Input);
        Assert.False(report.Passed);
    }

    [Fact]
    public void The_allowed_answers_pass()
    {
        var report = new BadInputReport();
        var allowed = new[]
        {
            (Expectation.Refused, Status(StatusCode.InvalidArgument, Violations)),
            (Expectation.Refused, Status(StatusCode.FailedPrecondition, new ErrorInfo { Reason = "VERSION_CONFLICT" })),
            (Expectation.Refused, Status(StatusCode.PermissionDenied, new ErrorInfo { Reason = "NOT_THIS_PROVINCE" })),
            (Expectation.Refused, Status(StatusCode.NotFound)),
            (Expectation.Refused, Status(StatusCode.AlreadyExists)),
            (Expectation.Refused, Status(StatusCode.ResourceExhausted)),
            (Expectation.Replayed, (Google.Rpc.Status?)null),
        };
        foreach (var (expected, status) in allowed)
            Assert.True(BadInputRun.Record(report, "c", "test", "input", expected, status).Allowed, status?.Code.ToString() ?? "OK");
        Assert.True(report.Passed);
        Assert.Equal(1, report.Statuses["FAILED_PRECONDITION VERSION_CONFLICT"]);
    }

    [Fact]
    public async Task A_row_changed_behind_the_nodes_back_changes_the_digest_and_names_its_table()
    {
        var before = await StateDigest.TakeAsync(fx.Cluster);
        await using var conn = new NpgsqlConnection(fx.Cluster["51"].ConnectionString);
        await conn.OpenAsync();
        var id = $"51Tdigest{Guid.NewGuid():N}"[..30];
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO withdrawn_before_letter (transfer_id, requested_by) VALUES (@id, 'test')
            """, conn))
        {
            insert.Parameters.AddWithValue("id", id);
            await insert.ExecuteNonQueryAsync();
        }
        try
        {
            var after = await StateDigest.TakeAsync(fx.Cluster);
            var difference = Assert.Single(before.Differences(after));
            Assert.StartsWith("51/withdrawn_before_letter: ", difference);
        }
        finally
        {
            await using var delete = new NpgsqlCommand("DELETE FROM withdrawn_before_letter WHERE transfer_id = @id", conn);
            delete.Parameters.AddWithValue("id", id);
            await delete.ExecuteNonQueryAsync();
        }
        Assert.Empty(before.Differences(await StateDigest.TakeAsync(fx.Cluster)));
    }
}
