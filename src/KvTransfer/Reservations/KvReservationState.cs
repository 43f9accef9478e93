namespace Cluster.KvTransfer.Reservations;

/// <summary>Where a reservation is in its life: open for pushes, handed to decode, or released.</summary>
public enum KvReservationState
{
    /// <summary>Blocks are held; pushes may write into them.</summary>
    Open,

    /// <summary>Every block was written and decode took the blocks over.</summary>
    HandedOver,

    /// <summary>The blocks were freed (lease expired or cancelled); late frames are refused.</summary>
    Released,
}
