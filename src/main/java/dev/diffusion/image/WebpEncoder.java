package dev.diffusion.image;

import com.luciad.imageio.webp.CompressionType;
import com.luciad.imageio.webp.WebPImageWriterSpi;
import com.luciad.imageio.webp.WebPWriteParam;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import javax.imageio.IIOImage;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * WebP through libwebp (webp-imageio, which bundles it). A compression of 100 writes lossless WebP, every pixel
 * exact (as PNG, and OpenAI's default of 100 then loses nothing); 0..99 write lossy WebP at that libwebp quality
 * ({@code cwebp -q}, Pillow's {@code quality=}). The infotext goes where AUTOMATIC1111's {@code piexif.insert} puts
 * it: an {@code EXIF} chunk after the image data, announced by a {@code VP8X} header chunk (WebP's extended format).
 */
final class WebpEncoder implements ImageEncoder {

    /**
     * Lossless effort (cwebp {@code -lossless -q}, 0..1 here): more made generated pictures no smaller and took longer
     * to write (BENCHMARKS.md), so none.
     */
    static final float LOSSLESS_EFFORT = 0f;
    /** libwebp's speed/size trade-off, 0 (fast) to 6 (cwebp's {@code -m}); its default, for lossy and lossless. */
    static final int METHOD = 4;

    private static final int VP8X_EXIF = 0x08;
    private static final int VP8X_SIZE = 10;

    private static final WebPImageWriterSpi WRITERS = new WebPImageWriterSpi();

    @Override
    public String mediaType() {
        return "image/webp";
    }

    @Override
    public String fileExtension() {
        return "webp";
    }

    @Override
    public byte[] encode(int width, int height, byte[] rgb, String parameters, int compression) {
        OutputFormat.checkCompression(compression);
        ImageWriter writer = WRITERS.createWriterInstance(null);
        ByteArrayOutputStream webp = new ByteArrayOutputStream(rgb.length / 4 + 1024);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(webp)) {
            WebPWriteParam param = (WebPWriteParam) writer.getDefaultWriteParam();
            boolean lossless = compression == 100;
            param.setCompressionType(lossless ? CompressionType.Lossless : CompressionType.Lossy);
            param.setCompressionQuality(lossless ? LOSSLESS_EFFORT : compression / 100f);
            param.setMethod(METHOD);
            writer.setOutput(out);
            writer.write(null, new IIOImage(PackedRgb.wrap(width, height, rgb), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("WebP encoding failed", e);
        } finally {
            writer.dispose();
        }
        return parameters == null ? webp.toByteArray() : withExif(webp.toByteArray(), width, height, parameters);
    }

    /**
     * The simple-format file (RIFF header, one VP8 or VP8L chunk) rewritten as extended format: a VP8X chunk saying
     * there is EXIF, the image chunk unchanged, the EXIF chunk.
     */
    private static byte[] withExif(byte[] simple, int width, int height, String parameters) {
        ByteBuffer in = ByteBuffer.wrap(simple).order(ByteOrder.LITTLE_ENDIAN);
        String firstChunk = new String(simple, 12, 4, StandardCharsets.US_ASCII);
        if (!firstChunk.equals("VP8 ") && !firstChunk.equals("VP8L")) {
            throw new IllegalStateException("libwebp wrote a " + firstChunk + " chunk first; expected VP8 or VP8L");
        }
        int imageChunk = 8 + padded(in.getInt(16));
        byte[] tiff = ExifUserComment.tiff(parameters);
        int riffSize = 4 + (8 + VP8X_SIZE) + imageChunk + 8 + padded(tiff.length);
        ByteBuffer out = ByteBuffer.allocate(8 + riffSize).order(ByteOrder.LITTLE_ENDIAN);
        out.put(ascii("RIFF")).putInt(riffSize).put(ascii("WEBP"));
        out.put(ascii("VP8X")).putInt(VP8X_SIZE).putInt(VP8X_EXIF); // flags, then 3 reserved bytes
        putUint24(out, width - 1);
        putUint24(out, height - 1);
        out.put(simple, 12, imageChunk);
        out.put(ascii("EXIF")).putInt(tiff.length).put(tiff);
        return out.array(); // a padding byte after an odd-sized chunk is already zero
    }

    private static int padded(int size) {
        return size + (size & 1);
    }

    private static void putUint24(ByteBuffer out, int value) {
        out.put((byte) value).put((byte) (value >> 8)).put((byte) (value >> 16));
    }

    private static byte[] ascii(String fourCc) {
        return fourCc.getBytes(StandardCharsets.US_ASCII);
    }
}
