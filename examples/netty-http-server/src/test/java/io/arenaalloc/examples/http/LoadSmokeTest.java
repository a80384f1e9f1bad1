package io.arenaalloc.examples.http;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CI version of the load test ({@link LoadTest} {@code --mode ci}: arena and pooled, three scenarios, 3 s each,
 * at most 100000 requests each, PARANOID leak detection in the server JVMs; about 40 s). Skipped, saying why, when
 * wrk cannot be installed, or with {@code -Darena.netty.loadTest=false}. Figures go to
 * {@code target/netty-load-ci/netty-load.md} and {@code .json}; they are reported, not asserted (paranoid leak
 * detection dominates them). Asserted: zero leaks, zero socket or status errors, every scenario served requests.
 */
class LoadSmokeTest
{
    @Test
    void shortLoadTestAgainstPooledHasNoLeakAndNoError() throws Exception
    {
        Assumptions.assumeTrue(Boolean.parseBoolean(System.getProperty("arena.netty.loadTest", "true")),
            "load test disabled by -Darena.netty.loadTest=false");
        final LoadTest.Options o = LoadTest.Options.parse("--mode", "ci", "--out",
            Paths.get("target", "netty-load-ci").toString());
        final LoadTest.Result r = LoadTest.run(o);
        Assumptions.assumeTrue(r.skipped == null, () -> "SKIPPED: wrk is unavailable: " + r.skipped);
        System.out.println(r.markdown);
        assertEquals(0, r.totalLeaks(), "leaks reported by Netty's detector (paranoid) in the server JVMs");
        assertEquals(0, r.totalErrors(), "wrk socket/status errors");
        for (final String a : new String[] {"arena", "pooled"})
        {
            for (final String s : new String[] {"hello", "bytes", "echo"})
            {
                assertThat(r.median(a, s, "requests")).as(a + " " + s + " requests").isGreaterThan(100);
                assertThat(r.median(a, s, "rss_after_bytes")).as(a + " " + s + " RSS").isPositive();
            }
        }
    }
}
