using Gateway.Ops.Console;

// gateway-console --node http://127.0.0.1:5015 [--urls http://127.0.0.1:5780] [--operator name]
await ConsoleApp.Build(args).RunAsync();
