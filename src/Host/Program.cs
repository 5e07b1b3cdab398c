// The host process (node, demo, HTTP API and CLI) arrives with a later issue; until then it only says so.
Console.Error.WriteLine("appliance: the host process is not built yet; see README.md.");
return 2;
