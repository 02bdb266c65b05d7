using Gateway.Node;

if (HealthProbe.Requested(args)) return await HealthProbe.RunAsync(args); // the container's and the pods' probe

var app = NodeApplication.Build(args);
await app.StartNodeAsync();
await app.WaitForShutdownAsync();
return 0;
