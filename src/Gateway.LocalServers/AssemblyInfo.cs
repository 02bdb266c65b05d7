namespace Gateway.LocalServers;
