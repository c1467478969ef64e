package dev.diffusion.image;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The formats a client may ask for as {@code output_format}, named as in OpenAI's Images API. */
public enum OutputFormat {

    PNG(new PngEncoder()),
    JPEG(new JpegEncoder()),
    WEBP(new WebpEncoder());

    /** What a request gets when it names no format. */
    public static final OutputFormat DEFAULT = PNG;

    private final ImageEncoder encoder;

    OutputFormat(ImageEncoder encoder) {
        this.encoder = encoder;
    }

    /** The name clients use: {@code png}, {@code jpeg}, {@code webp}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public ImageEncoder encoder() {
        return encoder;
    }

    /**
     * The format a client named.
     *
     * @throws IllegalArgumentException naming the formats there are, for the client ("must be one of ...")
     */
    public static OutputFormat of(String id) {
        for (OutputFormat format : values()) {
            if (format.id().equals(id)) {
                return format;
            }
        }
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values())
                .map(OutputFormat::id).collect(Collectors.joining(", ")));
    }

    /**
     * Refuses an {@code output_compression} outside 0..100.
     *
     * @throws IllegalArgumentException saying the bounds, for the client
     */
    public static int checkCompression(int compression) {
        if (compression < 0 || compression > 100) {
            throw new IllegalArgumentException("output_compression must be between 0 and 100");
        }
        return compression;
    }
}
