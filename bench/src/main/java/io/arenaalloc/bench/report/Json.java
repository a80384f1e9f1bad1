package io.arenaalloc.bench.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader and writer for {@code results.json} (objects, arrays, strings, numbers,
 * booleans, null), so the bench module needs no JSON library. Objects read as insertion-ordered
 * {@link Map}s, arrays as {@link List}s, numbers as {@link Double}s.
 */
public final class Json
{
    private static final MathContext SIGNIFICANT = new MathContext(6);

    private final String text;
    private int pos;

    private Json(final String text)
    {
        this.text = text;
    }

    /**
     * Parse a JSON document.
     *
     * @param text the document.
     * @return a Map, List, String, Double, Boolean or null.
     * @throws IllegalArgumentException with the offset on malformed input.
     */
    public static Object parse(final String text)
    {
        final Json parser = new Json(text);
        final Object value = parser.value();
        parser.skipSpace();
        if (parser.pos != text.length())
        {
            throw parser.error("trailing characters");
        }
        return value;
    }

    /**
     * Write a value as indented JSON: maps, lists, strings, numbers, booleans and null.
     *
     * @param value  the value.
     * @param indent current indentation (0 at top level).
     * @param out    destination.
     * @param inline write this map or list on one line.
     */
    public static void write(final Object value, final int indent, final StringBuilder out, final boolean inline)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof String)
        {
            quote((String)value, out);
        }
        else if (value instanceof Double || value instanceof Float)
        {
            out.append(number(((Number)value).doubleValue()));
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            out.append(value);
        }
        else if (value instanceof Map)
        {
            out.append('{');
            boolean first = true;
            for (final Map.Entry<?, ?> entry : ((Map<?, ?>)value).entrySet())
            {
                out.append(first ? "" : ",");
                newline(out, indent + 1, inline);
                first = false;
                quote(String.valueOf(entry.getKey()), out);
                out.append(": ");
                write(entry.getValue(), indent + 1, out, inline);
            }
            if (!first)
            {
                newline(out, indent, inline);
            }
            out.append('}');
        }
        else if (value instanceof List)
        {
            out.append('[');
            boolean first = true;
            for (final Object element : (List<?>)value)
            {
                out.append(first ? "" : ",");
                newline(out, indent + 1, inline);
                first = false;
                write(element, indent + 1, out, true);
            }
            if (!first)
            {
                newline(out, indent, inline);
            }
            out.append(']');
        }
        else
        {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName());
        }
    }

    /** @return a number with at most 6 significant digits, no exponent, no trailing zeros. */
    static String number(final double value)
    {
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException("JSON has no representation for " + value);
        }
        if (value == 0)
        {
            return "0";
        }
        String text = new BigDecimal(value).round(SIGNIFICANT).stripTrailingZeros().toPlainString();
        if (text.endsWith(".0"))
        {
            text = text.substring(0, text.length() - 2);
        }
        return text;
    }

    private static void newline(final StringBuilder out, final int indent, final boolean inline)
    {
        if (inline)
        {
            out.append(out.charAt(out.length() - 1) == ',' ? " " : "");
            return;
        }
        out.append('\n');
        for (int i = 0; i < indent; i++)
        {
            out.append("  ");
        }
    }

    private static void quote(final String s, final StringBuilder out)
    {
        out.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private Object value()
    {
        skipSpace();
        if (pos >= text.length())
        {
            throw error("unexpected end");
        }
        final char c = text.charAt(pos);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek() == '}')
        {
            pos++;
            return map;
        }
        while (true)
        {
            skipSpace();
            if (peek() != '"')
            {
                throw error("expected a key");
            }
            final String key = string();
            skipSpace();
            expect(':');
            map.put(key, value());
            skipSpace();
            if (peek() == ',')
            {
                pos++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array()
    {
        final List<Object> list = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek() == ']')
        {
            pos++;
            return list;
        }
        while (true)
        {
            list.add(value());
            skipSpace();
            if (peek() == ',')
            {
                pos++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private String string()
    {
        final StringBuilder sb = new StringBuilder();
        pos++;
        while (pos < text.length())
        {
            final char c = text.charAt(pos++);
            if (c == '"')
            {
                return sb.toString();
            }
            if (c != '\\')
            {
                sb.append(c);
                continue;
            }
            if (pos >= text.length())
            {
                break;
            }
            final char e = text.charAt(pos++);
            switch (e)
            {
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case 'u':
                    if (pos + 4 > text.length())
                    {
                        throw error("short \\u escape");
                    }
                    sb.append((char)Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                default:
                    sb.append(e);
            }
        }
        throw error("unterminated string");
    }

    private Double number()
    {
        final int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0)
        {
            pos++;
        }
        if (start == pos)
        {
            throw error("unexpected character '" + text.charAt(pos) + "'");
        }
        try
        {
            return Double.valueOf(text.substring(start, pos));
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number '" + text.substring(start, pos) + "'");
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, pos))
        {
            throw error("expected " + word);
        }
        pos += word.length();
        return value;
    }

    private char peek()
    {
        if (pos >= text.length())
        {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("expected '" + c + "' but found '" + text.charAt(pos) + "'");
        }
        pos++;
    }

    private void skipSpace()
    {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos)))
        {
            pos++;
        }
    }

    private IllegalArgumentException error(final String what)
    {
        return new IllegalArgumentException("JSON " + what + " at offset " + pos);
    }
}
