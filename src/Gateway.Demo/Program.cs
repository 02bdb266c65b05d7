using System.CommandLine;
using Gateway.Demo;
using Gateway.Domain.Documents;

var provinces = new Option<string>("--provinces")
{
    Description = $"Origin and destination province codes of the transfers, e.g. 15,51 ({DemoRun.ProvinceOnly} joins as the third node, a province-only province of care)",
    DefaultValueFactory = _ => "15,51",
};
var noRedis = new Option<bool>("--no-redis") { Description = "Use the in-memory idempotency fast path instead of a private redis-server" };
var root = new RootCommand("Three-province demo (transfers, care filings, duplicate enrolment): embedded Kafka-protocol broker, private PostgreSQL and Redis, three gateway nodes.");
root.Options.Add(provinces);
root.Options.Add(noRedis);
root.SetAction((parse, ct) =>
{
    var codes = parse.GetValue(provinces)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    // The filings need a destination that takes a city and county, and a third, province-only node besides the two.
    if (codes.Length != 2 || codes[0] == codes[1] || codes.Any(c => c is not { Length: 2 } || !c.All(char.IsAsciiDigit))
        || codes.Contains(DemoRun.ProvinceOnly) || CareFiling.ProvinceOnlyDestinations.Contains(codes[1]))
    {
        Console.Error.WriteLine($"--provinces: two different two-digit province codes, not {DemoRun.ProvinceOnly} (the third node), the destination not province-only ({string.Join(", ", CareFiling.ProvinceOnlyDestinations.Order())}).");
        return Task.FromResult(64);
    }
    return new DemoRun(codes[0], codes[1], !parse.GetValue(noRedis)).RunAsync(ct);
});
return await root.Parse(args).InvokeAsync();
