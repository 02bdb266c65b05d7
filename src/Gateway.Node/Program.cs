using Gateway.Node;

var app = NodeApplication.Build(args);
await app.StartNodeAsync();
await app.WaitForShutdownAsync();
