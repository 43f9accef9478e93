using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Runtime;

namespace Cluster.Router.Orleans.Hosting;

/// <summary>
/// Re-creates the Redis membership table after Redis lost it (restarted without persistence, flushed, the key expired)
/// while the tier runs. Orleans.Clustering.Redis 10.4.2 does not: its <c>InitializeMembershipTable</c> runs only when a
/// silo starts, each running silo's IAmAlive update then fails on the missing row and is retried forever, and a silo
/// started afterwards finds an empty table and forms a tier of its own. Worse, a running silo that reads a table with a
/// higher version that lacks it declares itself dead and stops.
/// <para>
/// Every <c>RouterTier:MembershipCheckInterval</c> (2 s) while the local silo is Active, this reads the table once
/// (<see cref="IMembershipTable.ReadAllAsync"/>). When the table is missing (<see cref="RedisClusteringException"/>: "version
/// is missing") it initialises it, the same call a starting silo makes; then, through the provider's own conditional
/// writes (no Redis command of its own): inserts a row for every silo this one's membership view holds Active and the
/// table lacks (itself from <see cref="ILocalSiloDetails"/>, the others from the view: address, name, Active; a silo that
/// died meanwhile is then declared dead by the usual probes), and while the table's version is below this silo's view's,
/// rewrites its own row with the next version, so that the running silos accept the new table as newer than their view
/// (Orleans ignores an older one). Last it refreshes this silo's view from the table. Each running router does the same
/// for what it knows; the writes are conditional on the table version, so concurrent restorers retry, not overwrite.
/// A router started after the restoration reads the re-created table and joins the same tier.
/// </para>
/// </summary>
public sealed partial class MembershipTableRestorer(
    IMembershipTable table, ILocalSiloDetails local, IClusterMembershipService membership, IOptions<RouterTierOptions> options, TimeProvider time,
    ILogger<MembershipTableRestorer> logger) : BackgroundService
{
    private const int MaxWritesPerCheck = 256; // a view's version grows by about two per silo start and stop
    private static readonly string RoleName = Assembly.GetEntryAssembly()?.GetName().Name ?? "router";
    private readonly DateTime _started = time.GetUtcNow().UtcDateTime;

    /// <summary>How many times this router re-created rows (tests and logs).</summary>
    public int Restorations { get; private set; }

    /// <summary>One check: reads the table and, when it lost this silo's view, restores it. True when it wrote anything.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var view = membership.CurrentSnapshot;
        if (view.GetSiloStatus(local.SiloAddress) != SiloStatus.Active)
        {
            return false; // joining or stopping: Orleans' own writes are under way
        }

        var inserted = new List<SiloAddress>();
        var (bumps, initialized) = (0, false);
        for (var write = 0; write < MaxWritesPerCheck; write++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            MembershipTableData read;
            try
            {
                read = await table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisClusteringException e) when (!initialized)
            {
                initialized = true;
                LogTableMissing(logger, e.Message);
                await table.InitializeMembershipTableAsync(true, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var missing = view.Members.Values.FirstOrDefault(m => m.Status == SiloStatus.Active && read.TryGet(m.SiloAddress) is null);
            if (missing is not null)
            {
                if (await table.InsertRowAsync(Entry(missing), read.Version.Next(), cancellationToken).ConfigureAwait(false))
                {
                    inserted.Add(missing.SiloAddress);
                }

                continue; // inserted, or another router wrote first: read again
            }

            if (read.Version.Version < view.Version.Value && read.TryGet(local.SiloAddress) is { } mine)
            {
                if (await table.UpdateRowAsync(Alive(mine.Item1), mine.Item2, read.Version.Next(), cancellationToken).ConfigureAwait(false))
                {
                    bumps++;
                }

                continue;
            }

            break;
        }

        if (inserted.Count == 0 && bumps == 0)
        {
            return false;
        }

        Restorations++;
        LogRestored(logger, inserted.Count, string.Join(", ", inserted), bumps, view.Version.Value);
        await membership.Refresh(default, cancellationToken).ConfigureAwait(false);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MembershipCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogCheckFailed(logger, e.Message); // Redis unreachable: Orleans keeps its view; checked again at the next tick
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // A copy of the row read, with a fresh IAmAlive time (MembershipEntry's own Copy is not public).
    private MembershipEntry Alive(MembershipEntry row) => new()
    {
        SiloAddress = row.SiloAddress,
        SiloName = row.SiloName,
        HostName = row.HostName,
        Status = row.Status,
        ProxyPort = row.ProxyPort,
        RoleName = row.RoleName,
        UpdateZone = row.UpdateZone,
        FaultZone = row.FaultZone,
        SuspectTimes = row.SuspectTimes is null ? [] : [.. row.SuspectTimes],
        StartTime = row.StartTime,
        IAmAliveTime = time.GetUtcNow().UtcDateTime,
    };

    private MembershipEntry Entry(ClusterMember member)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var self = member.SiloAddress.Equals(local.SiloAddress);
        return new MembershipEntry
        {
            SiloAddress = member.SiloAddress,
            SiloName = self ? local.Name : member.Name,
            HostName = self ? local.DnsHostName : member.SiloAddress.Endpoint.Address.ToString(),
            Status = SiloStatus.Active,
            ProxyPort = self ? local.GatewayAddress?.Endpoint.Port ?? 0 : 0,
            RoleName = RoleName,
            SuspectTimes = [],
            StartTime = self ? _started : now,
            IAmAliveTime = now,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Orleans membership table is missing in Redis ({Error}); re-creating it with the silos this router knows alive")]
    private static partial void LogTableMissing(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restored the Orleans membership table: {Inserted} rows re-inserted ({Silos}), {Bumps} version steps up to this silo's view (version {ViewVersion})")]
    private static partial void LogRestored(ILogger logger, int inserted, string silos, int bumps, long viewVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checking the Orleans membership table failed ({Error}); checked again at the next interval")]
    private static partial void LogCheckFailed(ILogger logger, string error);
}
