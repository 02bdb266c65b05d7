using System.CommandLine;
using Gateway.Demo;

var provinces = new Option<string>("--provinces") { Description = "Origin and destination province codes, e.g. 15,51", DefaultValueFactory = _ => "15,51" };
var noRedis = new Option<bool>("--no-redis") { Description = "Use the in-memory idempotency fast path instead of a private redis-server" };
var root = new RootCommand("Two-province transfer demo: embedded Kafka-protocol broker, private PostgreSQL and Redis, two gateway nodes.");
root.Options.Add(provinces);
root.Options.Add(noRedis);
root.SetAction((parse, ct) =>
{
    var codes = parse.GetValue(provinces)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    return new DemoRun(codes[0], codes[1], !parse.GetValue(noRedis)).RunAsync(ct);
});
return await root.Parse(args).InvokeAsync();
