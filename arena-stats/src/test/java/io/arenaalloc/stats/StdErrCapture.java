package io.arenaalloc.stats;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is printed to System.err while it is open; slf4j-simple (the test binding) prints there and
 * looks System.err up on every event, so log output can be checked.
 */
final class StdErrCapture implements AutoCloseable
{
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    StdErrCapture()
    {
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    String text()
    {
        System.err.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close()
    {
        System.setErr(original);
    }
}
