// The bench signals processes, reads /proc and runs PostgreSQL as the postgres user: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
