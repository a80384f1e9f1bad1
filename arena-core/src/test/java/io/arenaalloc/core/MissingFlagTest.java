package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Without --add-exports java.base/jdk.internal.misc=ALL-UNNAMED the first arena fails fast, naming the flag. */
class MissingFlagTest
{
    /** Entry point of the child JVM. */
    public static final class Child
    {
        public static void main(final String[] args)
        {
            try (OffHeapArena arena = OffHeapArena.create())
            {
                arena.allocate(8);
                System.out.println("ALLOCATED");
            }
            catch (final Throwable t)
            {
                Throwable cause = t;
                while (cause.getCause() != null && !(cause instanceof IllegalStateException))
                {
                    cause = cause.getCause();
                }
                System.out.println("FAILED: " + cause.getMessage());
            }
        }
    }

    @Test
    void shouldFailFastNamingTheFlagWhenItIsMissing() throws Exception
    {
        final String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        final Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName())
            .redirectErrorStream(true)
            .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("FAILED:", "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED").doesNotContain("ALLOCATED");
    }
}
