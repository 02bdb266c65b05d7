using Gateway.Contracts.Sync.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Spectre.Console;

namespace Gateway.Demo;

/// <summary>Record sync after the transfers: care filings (owner = origin) and a duplicate enrolment across origin and destination.</summary>
public sealed partial class DemoRun
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    /// <summary>One thing the demo promises about record sync; a failed one makes the exit code 2.</summary>
    private sealed record Check(string What, string Expected, string Observed, bool Ok);

    /// <summary>A filing of the demo and where it must be: the owner always; held only at <see cref="HeldAt"/>.</summary>
    private sealed record DemoFiling(string Label, Filing Filing, FilingView? Created, string? HeldAt);

    private async Task<List<Check>> RunRecordSyncAsync(GatewayCluster cluster, CancellationToken ct)
    {
        var sync = new SyncDriver(cluster);
        var checks = new List<Check>();
        // People of the origin the transfers did not touch: they take the first ones, and a newcomer is appended at the end.
        var people = cluster[origin].Registry.People.Where(p => p.IdentityNumber.StartsWith(origin, StringComparison.Ordinal)).ToList();
        try
        {
            await FilingsAsync(sync, people[^1], people[^2], checks, ct);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException)
        {
            checks.Add(new Check("filings part ran to its end", "no error", ex.Message, false));
            AnsiConsole.MarkupLineInterpolated($"[red]Filings part stopped: {ex.Message}[/]");
        }
        try
        {
            await DuplicateEnrolmentAsync(cluster, sync, people[^3], checks, ct);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException)
        {
            checks.Add(new Check("duplicate-enrolment part ran to its end", "no error", ex.Message, false));
            AnsiConsole.MarkupLineInterpolated($"[red]Duplicate-enrolment part stopped: {ex.Message}[/]");
        }
        return checks;
    }

    // ---- care filings (seed 004 附表13) ----

    private async Task FilingsAsync(SyncDriver sync, SyntheticPerson personA, SyntheticPerson personB, List<Check> checks, CancellationToken ct)
    {
        var today = TransferDriver.Today;
        var care = ProvinceProfile.For(destination).Capital;
        AnsiConsole.Write(new Rule($"[bold]Record sync: care filings[/]  owner {origin}, provinces of care {destination} and {ProvinceOnly}").LeftJustified());

        var a = SyncDriver.BuildFiling(personA, destination, care.PoolingRegion, care.Code, FilingCategory.LongTermResident,
            $"{ProvinceProfile.For(destination).Name}{care.CityName}{care.Name}某路2号", today);
        var b = SyncDriver.BuildFiling(personB, ProvinceOnly, null, null, FilingCategory.RetiredResettled, "北京市朝阳区某路5号", today);
        var c = b.Clone();
        c.FilingId = SyncDriver.NewFilingId(origin);
        c.DestinationCity = ProvinceOnly + "0100"; // a city of a province-only destination: the form does not allow it

        var createdA = await sync.CreateFilingAsync(origin, a, ct);
        PrintCreated("(a)", a, createdA);
        var createdB = await sync.CreateFilingAsync(origin, b, ct);
        PrintCreated("(b)", b, createdB);
        checks.Add(new Check("(a) delivered_to at the owner", destination, createdA.DeliveredTo, createdA.DeliveredTo == destination));
        checks.Add(new Check("(b) delivered_to at the owner", ProvinceOnly, createdB.DeliveredTo, createdB.DeliveredTo == ProvinceOnly));

        FilingView? createdC = null;
        try
        {
            createdC = await sync.CreateFilingAsync(origin, c, ct);
            AnsiConsole.MarkupLineInterpolated($"[red](c) {c.FilingId} to {ProvinceOnly} with city {c.DestinationCity} was ACCEPTED (v{createdC.Version})[/]");
            checks.Add(new Check($"(c) filing to {ProvinceOnly} naming a city refused", "INVALID_ARGUMENT filing.destination_city", "accepted", false));
        }
        catch (RpcException ex)
        {
            var violations = ex.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.ToList() ?? [];
            AnsiConsole.MarkupLineInterpolated($"(c) {c.FilingId}  to {ProvinceOnly} with city {c.DestinationCity}: refused, status [yellow]{ex.StatusCode}[/]");
            foreach (var v in violations)
                AnsiConsole.MarkupLineInterpolated($"    field violation [yellow]{v.Field}[/]: {v.Description}");
            var ok = ex.StatusCode == StatusCode.InvalidArgument && violations.Any(v => v.Field == "filing.destination_city");
            checks.Add(new Check($"(c) filing to {ProvinceOnly} naming a city refused", "INVALID_ARGUMENT filing.destination_city",
                $"{ex.StatusCode} {string.Join(", ", violations.Select(v => v.Field))}", ok));
        }

        var filings = new List<DemoFiling>
        {
            new("(a)", a, createdA, destination),
            new("(b)", b, createdB, ProvinceOnly),
            new("(c)", c, createdC, null),
        };
        await AnsiConsole.Status().StartAsync("Waiting for the filings to reach their provinces of care...", async _ =>
        {
            await Task.WhenAll(
                sync.WaitForFilingAsync(destination, origin, a.FilingId, 1, SyncTimeout, ct),
                sync.WaitForFilingAsync(ProvinceOnly, origin, b.FilingId, 1, SyncTimeout, ct));
        });
        await PrintPlacementAsync(sync, "where each filing is held", filings, checks, ct);

        // The lists of the provinces of care show nothing else of this owner (only these filings were made).
        foreach (var (province, expected) in new[] { (destination, a.FilingId), (ProvinceOnly, b.FilingId) })
        {
            var held = await sync.ListHeldAsync(province, origin, ct);
            var ids = held.Select(f => f.Filing.FilingId).ToList();
            AnsiConsole.MarkupLineInterpolated($"ListFilings scope HELD at {province} (owner {origin}): {ids.Count} filing(s): {string.Join(", ", ids)}");
            checks.Add(new Check($"ListFilings HELD at {province}", expected, ids.Count == 0 ? "(none)" : string.Join(", ", ids),
                ids.Count == 1 && ids[0] == expected));
        }

        // 登记类别 变更: (a) moves to the province-only destination; 51 gets the removal at the same version.
        var moved = await sync.ChangeFilingAsync(origin, SyncDriver.MovedTo(a, ProvinceOnly, null, null, "北京市海淀区某街8号"), createdA.Version, ct);
        AnsiConsole.MarkupLineInterpolated($"ChangeFiling (a) {a.FilingId}: destination {destination} → {ProvinceOnly}, now v{moved.Version}, delivered to {moved.DeliveredTo}");
        var gone = false;
        await AnsiConsole.Status().StartAsync($"Waiting for (a) to leave {destination} and reach {ProvinceOnly}...", async _ =>
        {
            var arrived = sync.WaitForFilingAsync(ProvinceOnly, origin, a.FilingId, moved.Version, SyncTimeout, ct);
            gone = await sync.WaitForFilingGoneAsync(destination, origin, a.FilingId, SyncTimeout, ct);
            await arrived;
        });
        checks.Add(new Check($"(a) removed from {destination} after the move", "not found", gone ? "not found" : "still held", gone));
        filings[0] = filings[0] with { Created = moved, HeldAt = ProvinceOnly };
        await PrintPlacementAsync(sync, $"after moving (a) to {ProvinceOnly}", filings, checks, ct);
    }

    private static void PrintCreated(string label, Filing filing, FilingView view)
    {
        var where = string.IsNullOrEmpty(filing.DestinationCity) ? "province only" : $"city {filing.DestinationCity}, county {filing.DestinationCounty}";
        AnsiConsole.MarkupLineInterpolated(
            $"{label} {filing.FilingId}  person {Mask(filing.Person.Certno)}  insured {filing.InsuplcAdmdvs} → care in {filing.DestinationProvince} ({where}): v{view.Version} {view.Status}, delivered to {view.DeliveredTo}");
    }

    /// <summary>GetFiling at each node; a cell is red when the filing is somewhere it must not be, or missing where it must be.</summary>
    private async Task PrintPlacementAsync(SyncDriver sync, string title, IReadOnlyList<DemoFiling> filings, List<Check> checks, CancellationToken ct)
    {
        var nodes = new[] { origin, destination, ProvinceOnly };
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Filings: {Markup.Escape(title)}[/]")
            .AddColumns(new TableColumn(""), new TableColumn("filing id").NoWrap(), new TableColumn("category").NoWrap(), new TableColumn("owner"),
                new TableColumn("destination").NoWrap(), new TableColumn("version"),
                new TableColumn($"held at {origin} (owner)"), new TableColumn($"held at {destination}"), new TableColumn($"held at {ProvinceOnly}"));
        foreach (var f in filings)
        {
            var cells = new List<string>();
            foreach (var node in nodes)
            {
                var view = await sync.TryGetFilingAsync(node, origin, f.Filing.FilingId, ct);
                var mustHave = f.Created is not null && (node == origin || node == f.HeldAt);
                var has = view is not null;
                // Held means: as the owner's row at the owner, as a replica elsewhere, at the owner's current version.
                var right = has == mustHave && (view is null
                    || (view.Scope == (node == origin ? FilingScope.Owned : FilingScope.Held) && view.Version == f.Created?.Version));
                var text = has ? $"yes v{view!.Version}" : "no";
                cells.Add(right ? (has ? $"[green]{text}[/]" : text) : $"[red]{text} ✗[/]");
                if (!right)
                    checks.Add(new Check($"{f.Label} {title} at {node}", mustHave ? $"held v{f.Created!.Version}" : "not held",
                        view is null ? "not held" : $"{view.Scope} v{view.Version}", false));
            }
            if (cells.All(x => !x.Contains('✗')))
                checks.Add(new Check($"{f.Label} {title}", Expected(f), Expected(f), true));
            table.AddRow([f.Label, f.Filing.FilingId, Category(f.Filing.Category), origin, Destination(f), f.Created is { } v ? $"v{v.Version}" : "[yellow]refused[/]", .. cells]);
        }
        AnsiConsole.Write(table);
    }

    private string Expected(DemoFiling f) => f.Created is null ? "nowhere" : $"{origin} (owner) and {f.HeldAt} only";

    private static string Destination(DemoFiling f)
    {
        var filing = f.Created?.Filing ?? f.Filing;
        return string.IsNullOrEmpty(filing.DestinationCity) && string.IsNullOrEmpty(filing.DestinationCounty)
            ? $"{filing.DestinationProvince} (province only)"
            : string.Join(" / ", new[] { filing.DestinationProvince, filing.DestinationCity, filing.DestinationCounty }.Where(x => x.Length > 0));
    }

    private static string Category(FilingCategory category) => category switch
    {
        FilingCategory.RetiredResettled => "异地安置退休人员",
        FilingCategory.LongTermResident => "异地长期居住人员",
        FilingCategory.PostedWorker => "常驻异地工作人员",
        FilingCategory.Referral => "异地转诊人员",
        FilingCategory.TemporaryOther => "其他临时外出就医人员",
        FilingCategory.EmergencyRescue => "异地急诊、抢救",
        _ => category.ToString(),
    };

    // ---- duplicate enrolment (seed 003 第二十三、二十四条) ----

    private async Task DuplicateEnrolmentAsync(GatewayCluster cluster, SyncDriver sync, SyntheticPerson person, List<Check> checks, CancellationToken ct)
    {
        var thisMonth = TransferDriver.Today;
        AnsiConsole.Write(new Rule($"[bold]Record sync: duplicate enrolment[/]  employee insurance in {origin} and {destination}").LeftJustified());
        // Paid months overlap for three months: the origin's record runs to two months ago, the destination's began four months ago.
        var atOrigin = SyncDriver.EmployeeRecord(person.IdentityNumber, person.PoolingRegion,
            SyncDriver.Month(new DateOnly(thisMonth.Year - 5, 1, 1)), SyncDriver.Month(thisMonth.AddMonths(-2)), currentEmployment: false);
        var atDestination = SyncDriver.EmployeeRecord(person.IdentityNumber, ProvinceProfile.For(destination).Capital.PoolingRegion,
            SyncDriver.Month(thisMonth.AddMonths(-4)), SyncDriver.Month(thisMonth), currentEmployment: true);
        var expectedPeriod = (SyncDriver.Month(thisMonth.AddMonths(-4)), SyncDriver.Month(thisMonth.AddMonths(-2)));

        foreach (var (owner, record) in new[] { (origin, atOrigin), (destination, atDestination) })
        {
            var published = await sync.PublishEnrolmentAsync(owner, record, ct: ct);
            AnsiConsole.MarkupLineInterpolated(
                $"PublishEnrolment at {owner}: {record.RecordId}  person {Mask(person.IdentityNumber)}  {record.InsuplcAdmdvs} employee (310) paid {record.PaidFrom}..{record.PaidTo}{(record.CurrentEmployment ? ", current employment" : "")}: v{published.Version}, sent to index province {published.IndexProvince}");
        }

        (CheckDuplicateEnrolmentResponse Response, DuplicateEnrolmentFinding Finding)? found = null;
        await AnsiConsole.Status().StartAsync($"Waiting for the index province to find the duplicate (CheckDuplicateEnrolment at {origin})...", async _ =>
        {
            found = await sync.WaitForFindingAsync(origin, person.IdentityNumber, DuplicateEnrolmentKind.EmployeeWithinScheme, SyncTimeout, ct);
        });
        if (found is not { } hit)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]CheckDuplicateEnrolment at {origin}: no employee duplicate within {SyncTimeout.TotalSeconds:0} s[/]");
            checks.Add(new Check("duplicate enrolment found", "第二十三条(一)", "not found", false));
            return;
        }

        var f = hit.Finding;
        string Ref(RecordRef r) => $"{r.OwnerProvince}:{r.RecordId}";
        var keepExpected = new RecordRef { OwnerProvince = destination, RecordId = atDestination.RecordId };
        var grid = new Table().Border(TableBorder.Rounded).Title($"[bold]CheckDuplicateEnrolment at {origin} (index province {hit.Response.IndexProvince})[/]")
            .AddColumns("", "").HideHeaders();
        grid.AddRow("finding", f.FindingId);
        grid.AddRow("kind", Kind(f.Kind));
        grid.AddRow("person", Mask(f.Person?.Certno));
        grid.AddRow("provinces", string.Join(", ", f.Records.Select(r => r.OwnerProvince).Distinct()));
        grid.AddRow("records", string.Join("\n", f.Records.Select(Ref)));
        grid.AddRow("overlapping months", $"{f.From} .. {f.To}");
        grid.AddRow("resolution", Resolution(f.Resolution));
        grid.AddRow("keep", f.Keep is { } keep ? Ref(keep) : "(the person or the agencies must choose)");
        grid.AddRow("the others", Action(f.Action));
        grid.AddRow("explanation", Markup.Escape(f.Explanation));
        grid.AddRow("detected by", f.IndexProvince);
        AnsiConsole.Write(grid);

        checks.Add(new Check("duplicate enrolment found", Kind(DuplicateEnrolmentKind.EmployeeWithinScheme), Kind(f.Kind), true));
        var records = f.Records.Select(Ref).ToList();
        var recordsExpected = new[] { $"{origin}:{atOrigin.RecordId}", $"{destination}:{atDestination.RecordId}" }.Order(StringComparer.Ordinal).ToList();
        checks.Add(new Check("records involved", string.Join(" + ", recordsExpected), string.Join(" + ", records), records.SequenceEqual(recordsExpected)));
        checks.Add(new Check("overlapping months", $"{expectedPeriod.Item1}..{expectedPeriod.Item2}", $"{f.From}..{f.To}", (f.From, f.To) == expectedPeriod));
        checks.Add(new Check("record to keep (第二十四条(一))", Ref(keepExpected), f.Keep is { } k ? Ref(k) : "(none)", f.Keep is { } k2 && k2.Equals(keepExpected)));

        // Each involved province's system gets the finding as a DUPLICATE_ENROLMENT work item and acknowledges it.
        AnsiConsole.MarkupLineInterpolated($"work item {SyncDriver.DuplicateWorkItemId(f)} (DUPLICATE_ENROLMENT):");
        var waits = new[] { origin, destination }.ToDictionary(p => p, p => sync.WaitForDuplicateAcknowledgedAsync(p, f, SyncTimeout));
        await Task.WhenAll(waits.Values);
        foreach (var (province, wait) in waits)
        {
            var answered = await wait;
            if (answered is not null)
                AnsiConsole.MarkupLineInterpolated($"    {province}: [green]received and acknowledged[/] by the simulated province system");
            else
                AnsiConsole.MarkupLineInterpolated($"    {province}: [red]not acknowledged within {SyncTimeout.TotalSeconds:0} s[/]");
            checks.Add(new Check($"DUPLICATE_ENROLMENT work item at {province}", "acknowledged", answered is not null ? "acknowledged" : "missing", answered is not null));
        }
        var stray = sync.ReceivedDuplicate(ProvinceOnly, f);
        if (stray) AnsiConsole.MarkupLineInterpolated($"    {ProvinceOnly}: [red]received it, though not involved[/]");
        else AnsiConsole.MarkupLineInterpolated($"    {ProvinceOnly}: no item (not involved)");
        checks.Add(new Check($"DUPLICATE_ENROLMENT work item at {ProvinceOnly}", "none", stray ? "received" : "none", !stray));
    }

    private static string Kind(DuplicateEnrolmentKind kind) => kind switch
    {
        DuplicateEnrolmentKind.EmployeeWithinScheme => "第二十三条(一) employee insurance in more than one place",
        DuplicateEnrolmentKind.ResidentWithinScheme => "第二十三条(二) resident insurance in more than one place",
        DuplicateEnrolmentKind.CrossScheme => "第二十三条(三) employee and resident insurance at once",
        _ => kind.ToString(),
    };

    private static string Resolution(DuplicateResolution resolution) => resolution switch
    {
        DuplicateResolution.KeepCurrentEmployment => "第二十四条(一) keep the current place of employment",
        DuplicateResolution.PersonChooses => "第二十四条(二) the person chooses",
        DuplicateResolution.KeepStudyPlace => "第二十四条(三)1 keep the place of study",
        DuplicateResolution.KeepEmploymentOverStudy => "第二十四条(三)2 keep employment over study",
        DuplicateResolution.KeepEmployee => "第二十四条(四) keep employee insurance",
        DuplicateResolution.PersonConsentsSubsidised => "第二十四条(五) the person consents (subsidised)",
        DuplicateResolution.KeepOneSuspendOther => "第二十四条(六) keep one, suspend the other",
        DuplicateResolution.AgencyReview => "agency review (no default)",
        _ => resolution.ToString(),
    };

    private static string Action(DuplicateAction action) => action switch
    {
        DuplicateAction.Terminate => "终止 (terminate)",
        DuplicateAction.Suspend => "暂停 (suspend)",
        _ => action.ToString(),
    };

    private static bool PrintRecordSyncSummary(List<Check> checks)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Record sync summary[/]").AddColumns("check", "expected", "observed", "ok");
        foreach (var c in checks)
            table.AddRow(Markup.Escape(c.What), Markup.Escape(c.Expected), Markup.Escape(c.Observed), c.Ok ? "[green]yes[/]" : "[red]NO[/]");
        AnsiConsole.Write(table);
        return checks.Count > 0 && checks.All(c => c.Ok);
    }
}
