namespace Gateway.Storage.Tests;
