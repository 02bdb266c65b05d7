namespace Gateway.Node.Tests;
