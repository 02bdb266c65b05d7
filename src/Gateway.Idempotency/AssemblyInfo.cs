namespace Gateway.Idempotency;
