namespace Gateway.Idempotency.Tests;
