namespace Gateway.Domain.Tests;
