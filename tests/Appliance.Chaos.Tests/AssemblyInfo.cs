// Network namespaces, signals and /proc: the harness runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
