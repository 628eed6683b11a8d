package main

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisStats is what INFO says of Redis's own work, summed over nodes.
type redisStats struct {
	cpu  time.Duration      // used_cpu_sys + used_cpu_user since the server started
	cmds map[string]cmdStat // INFO commandstats since the last CONFIG RESETSTAT
}

type cmdStat struct{ calls, usec int64 }

// resetStats clears the command statistics of every node.
func resetStats(ctx context.Context, nodes []*redis.Client) error {
	for _, n := range nodes {
		if err := n.ConfigResetStat(ctx).Err(); err != nil {
			return err
		}
	}
	return nil
}

// readStats sums INFO cpu and INFO commandstats over nodes.
func readStats(ctx context.Context, nodes []*redis.Client) (redisStats, error) {
	st := redisStats{cmds: map[string]cmdStat{}}
	for _, n := range nodes {
		info, err := n.Info(ctx, "cpu", "commandstats").Result()
		if err != nil {
			return st, err
		}
		sc := bufio.NewScanner(strings.NewReader(info))
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
			if !ok {
				continue
			}
			switch {
			case k == "used_cpu_sys" || k == "used_cpu_user":
				f, _ := strconv.ParseFloat(v, 64)
				st.cpu += time.Duration(f * float64(time.Second))
			case strings.HasPrefix(k, "cmdstat_"):
				c := st.cmds[strings.TrimPrefix(k, "cmdstat_")]
				for _, kv := range strings.Split(v, ",") {
					name, num, _ := strings.Cut(kv, "=")
					x, _ := strconv.ParseInt(num, 10, 64)
					switch name {
					case "calls":
						c.calls += x
					case "usec":
						c.usec += x
					}
				}
				st.cmds[strings.TrimPrefix(k, "cmdstat_")] = c
			}
		}
	}
	return st, nil
}
