using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>Reads and writes <see cref="TimelineHistory"/> through <see cref="TimelineHistoryDto"/>; an out-of-order history fails to read.</summary>
internal sealed class TimelineHistoryJsonConverter : DtoJsonConverter<TimelineHistory, TimelineHistoryDto>
{
    protected override TimelineHistoryDto ToDto(TimelineHistory value) => new(value.Timeline, value.Past);

    protected override TimelineHistory FromDto(TimelineHistoryDto dto)
    {
        try
        {
            return new TimelineHistory(dto.Timeline, dto.Past);
        }
        catch (ArgumentException e)
        {
            throw new System.Text.Json.JsonException(e.Message, e);
        }
    }
}
