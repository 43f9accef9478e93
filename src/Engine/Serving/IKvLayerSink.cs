namespace Cluster.Engine.Serving;

/// <summary>
/// Receives a prefill-role request's KV layer by layer while its prefill still computes later layers (KV streaming,
/// <see cref="InferenceEngine.SubmitStreaming"/>). Called on the engine thread inside the step that computed the layer,
/// under the engine's lock: hand the slab to another thread and return at once.
/// </summary>
public interface IKvLayerSink
{
    /// <summary>
    /// Layer <see cref="KvLayerSlab.Layer"/> of the request's blocks [<see cref="KvLayerSlab.BlockStart"/>, +count) is
    /// computed and staged in <paramref name="slab"/>, which the sink now owns (dispose it once copied). Every
    /// (layer, block) of the prompt is published exactly once, layer by layer within a step; a block is published once it
    /// is full, the prompt's last, partial block with the step that ends the prompt.
    /// </summary>
    void LayerReady(KvLayerSlab slab);
}
