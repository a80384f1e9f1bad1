package io.arenaalloc.bench.workload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set size, from {@code /proc/self/status} (Linux). */
public final class ProcessMemory
{
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory()
    {
    }

    /**
     * @return {@code VmRSS} in bytes.
     * @throws UnsupportedOperationException where {@code /proc/self/status} has no {@code VmRSS} (not Linux).
     */
    public static long residentBytes()
    {
        try
        {
            for (final String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII))
            {
                if (line.startsWith("VmRSS:"))
                {
                    final String[] parts = line.substring(6).trim().split("\\s+");
                    final long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && "kB".equals(parts[1]) ? value * 1024 : value;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new UnsupportedOperationException("cannot read VmRSS from " + STATUS + ": " + ex, ex);
        }
        throw new UnsupportedOperationException(STATUS + " has no VmRSS line");
    }
}
