package io.arenaalloc.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole {@code results.json} document (GUIDE section 2): {@code mode}, {@code machine}
 * ({@code cores}, {@code java}, {@code os} and a few extra descriptive keys), optional
 * {@code settings} (how the run was measured), and {@code results}, a list of {@link ResultRow}s.
 *
 * @param mode     {@code quick}, {@code full} or {@code smoke}.
 * @param machine  machine description, insertion-ordered.
 * @param settings measurement settings (forks, iterations, JVM flags), insertion-ordered; may be empty.
 * @param rows     result rows in run order.
 */
public record Results(String mode, Map<String, Object> machine, Map<String, Object> settings, List<ResultRow> rows)
{
    /** File name inside the output directory. */
    public static final String FILE_NAME = "results.json";

    /** @return the machine description for this JVM: cores, java, os, plus vm and cpu. */
    public static Map<String, Object> thisMachine()
    {
        final Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("arch", System.getProperty("os.arch"));
        machine.put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        final String cpu = cpuModel();
        if (cpu != null)
        {
            machine.put("cpu", cpu);
        }
        return machine;
    }

    private static String cpuModel()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith("model name"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // not Linux: leave it out
        }
        return null;
    }

    /** @return the document as JSON text. */
    public String toJson()
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("mode", mode);
        doc.put("machine", machine);
        if (!settings.isEmpty())
        {
            doc.put("settings", settings);
        }
        final List<Object> list = new ArrayList<>();
        for (final ResultRow row : rows)
        {
            list.add(row.toJson());
        }
        doc.put("results", list);
        final StringBuilder out = new StringBuilder();
        Json.write(doc, 0, out, false);
        return out.append('\n').toString();
    }

    /** Write atomically (temp file, then rename) so a reader never sees half a file. */
    public void write(final Path file) throws IOException
    {
        final Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        final Path tmp = dir.resolve(file.getFileName() + ".tmp");
        Files.writeString(tmp, toJson(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    /** @return the document read from a {@code results.json} file. */
    public static Results read(final Path file) throws IOException
    {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** @return the document parsed from JSON text. */
    @SuppressWarnings("unchecked")
    public static Results parse(final String json)
    {
        final Object root = Json.parse(json);
        if (!(root instanceof Map))
        {
            throw new IllegalArgumentException("results.json must be a JSON object");
        }
        final Map<String, Object> doc = (Map<String, Object>)root;
        final Object results = doc.get("results");
        if (!(results instanceof List))
        {
            throw new IllegalArgumentException("results.json lacks a 'results' list");
        }
        final List<ResultRow> rows = new ArrayList<>();
        for (final Object row : (List<Object>)results)
        {
            rows.add(ResultRow.fromJson((Map<?, ?>)row));
        }
        final Object machine = doc.get("machine");
        final Object settings = doc.get("settings");
        return new Results(
            String.valueOf(doc.get("mode")),
            machine instanceof Map ? (Map<String, Object>)machine : Map.of(),
            settings instanceof Map ? (Map<String, Object>)settings : Map.of(),
            rows);
    }
}
