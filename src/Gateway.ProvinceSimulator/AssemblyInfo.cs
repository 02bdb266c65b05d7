namespace Gateway.ProvinceSimulator;
