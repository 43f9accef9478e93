using Cluster.Contracts;
using Cluster.Contracts.V1;
using Cluster.Core.Generation;

namespace Cluster.Contracts.Tests;

/// <summary>The wire's 0-means-off (proto3's unset value) becomes the record's single spelling of off.</summary>
public sealed class GenerationWireTests
{
    [Fact]
    public void ToParameters_UnsetWire_IsTheRecordsOff()
    {
        var parameters = GenerationWire.ToParameters(new SamplingParams(), null, maxTokens: 7);

        Assert.Equal(new GenerationParameters { MaxTokens = 7 }, parameters with { StopTokenIds = [] });
        Assert.Equal(1, parameters.TopP);
        Assert.Equal(1, parameters.RepetitionPenalty);
        Assert.Null(parameters.Seed);
        parameters.Validate();
    }

    [Fact]
    public void ToParameters_CarriesEveryField()
    {
        var stop = new StopConditions { IgnoreEos = true };
        stop.StopTokenIds.Add([4, 9]);
        var wire = new SamplingParams
        {
            Temperature = 0.5f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.25f, PresencePenalty = 0.5f, FrequencyPenalty = -0.5f, Seed = 11,
        };

        var p = GenerationWire.ToParameters(wire, stop, maxTokens: 3);

        Assert.Equal((0.5, 40L, 0.9f, 0.05f, 1.25, 0.5, -0.5, (ulong?)11UL, 3, true), (p.Temperature, p.TopK, (float)p.TopP, (float)p.MinP, p.RepetitionPenalty, p.PresencePenalty, p.FrequencyPenalty, p.Seed, p.MaxTokens, p.IgnoreEos));
        Assert.Equal([4, 9], p.StopTokenIds);
    }

    [Fact]
    public void ToParameters_StopTokenBeyondInt_IsRefusedNamingTheField()
    {
        var stop = new StopConditions();
        stop.StopTokenIds.Add(uint.MaxValue);

        var e = Assert.Throws<GenerationParameterException>(() => GenerationWire.ToParameters(null, stop, 1));
        Assert.Equal(GenerationField.StopTokenIds, e.Field);
        Assert.Contains("4294967295", e.Message, StringComparison.Ordinal);
    }
}
