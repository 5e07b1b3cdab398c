namespace Appliance.Nodes.Postgres;

/// <summary>A clone target already holds files.</summary>
internal sealed class DataDirectoryNotEmptyException(string dataDirectory, string what)
    : PostgresDriverException($"Cannot clone into {dataDirectory}: it is not empty ({what}). Move its contents away " +
                              "first; the driver never deletes a directory it did not create.");
