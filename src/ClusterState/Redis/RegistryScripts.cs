namespace Cluster.ClusterState.Redis;

/// <summary>The Lua scripts of <see cref="RedisWorkerRegistry"/>; each runs atomically.</summary>
internal static class RegistryScripts
{
    /// <summary>Lua: drop worker w (hash field, heartbeat key, its prefix-index keys under ARGV prefix p).</summary>
    private const string DropWorker = """
        local function drop_worker(workers, hb, p, w)
          local json = redis.call('HGET', workers, w)
          redis.call('HDEL', workers, w)
          redis.call('DEL', hb)
          if json then
            local model = cjson.decode(json)['model']
            local wrk = p .. model .. ':wrk:' .. w
            local blk = p .. model .. ':blk:'
            for _, h in ipairs(redis.call('SMEMBERS', wrk)) do
              redis.call('SREM', blk .. h, w)
            end
            redis.call('DEL', wrk, p .. model .. ':seq:' .. w)
          end
        end
        """;

    /// <summary>KEYS[1] = workers hash, KEYS[2] = hb key; ARGV[1] = worker, ARGV[2] = JSON, ARGV[3] = TTL ms.</summary>
    public static readonly RedisScript Register = new("registry.register", """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[3])
        return 1
        """);

    /// <summary>Same arguments as <see cref="Register"/>; writes only while the heartbeat key exists. Returns 1, or 0 when expired.</summary>
    public static readonly RedisScript Heartbeat = new("registry.heartbeat", """
        if redis.call('EXISTS', KEYS[2]) == 0 then
          return 0
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[3])
        return 1
        """);

    /// <summary>KEYS[1] = workers hash, KEYS[2] = hb key; ARGV[1] = key prefix, ARGV[2] = worker. Graceful removal.</summary>
    public static readonly RedisScript Deregister = new("registry.deregister", DropWorker + """

        drop_worker(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
        return 1
        """);

    /// <summary>KEYS[1] = workers hash; ARGV[1] = key prefix. Returns the JSON of every worker whose heartbeat key exists.</summary>
    public static readonly RedisScript ListLive = new("registry.list", """
        local all = redis.call('HGETALL', KEYS[1])
        local out = {}
        for i = 1, #all, 2 do
          if redis.call('EXISTS', ARGV[1] .. 'hb:' .. all[i]) == 1 then
            out[#out + 1] = all[i + 1]
          end
        end
        return out
        """);

    /// <summary>KEYS[1] = workers hash; ARGV[1] = key prefix. Drops every worker whose heartbeat key is gone; returns their ids.</summary>
    public static readonly RedisScript Sweep = new("registry.sweep", DropWorker + """

        local ids = redis.call('HKEYS', KEYS[1])
        local dead = {}
        for _, w in ipairs(ids) do
          local hb = ARGV[1] .. 'hb:' .. w
          if redis.call('EXISTS', hb) == 0 then
            drop_worker(KEYS[1], hb, ARGV[1], w)
            dead[#dead + 1] = w
          end
        end
        return dead
        """);
}
