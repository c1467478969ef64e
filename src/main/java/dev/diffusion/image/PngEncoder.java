package dev.diffusion.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes packed RGB pixels as an 8-bit RGB PNG, with text chunks such as AUTOMATIC1111's {@code parameters}: a
 * {@code tEXt} chunk when the text is Latin-1, else an uncompressed {@code iTXt} chunk in UTF-8 (as Pillow writes
 * them). Written directly rather than through ImageIO, whose PNG writer took several times the CPU time
 * (BENCHMARKS.md, "Pipeline time per step"): a job writes one PNG per preview and per image on the worker thread,
 * between steps, so this is time outside the networks. As an {@link ImageEncoder} it ignores the compression: PNG is
 * lossless.
 */
public final class PngEncoder implements ImageEncoder {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int BYTES_PER_PIXEL = PackedRgb.BYTES_PER_PIXEL;
    private static final byte PAETH = 4;

    PngEncoder() {
    }

    @Override
    public String mediaType() {
        return "image/png";
    }

    @Override
    public String fileExtension() {
        return "png";
    }

    /** The infotext as AUTOMATIC1111's {@code parameters} text chunk. */
    @Override
    public byte[] encode(int width, int height, byte[] rgb, String parameters, int compression) {
        OutputFormat.checkCompression(compression);
        return encode(width, height, rgb, parameters == null ? Map.of() : Map.of("parameters", parameters));
    }

    public static byte[] encode(int width, int height, byte[] rgb, Map<String, String> text) {
        PackedRgb.check(width, height, rgb);
        ByteArrayOutputStream png = new ByteArrayOutputStream(rgb.length / 2 + 1024);
        png.writeBytes(SIGNATURE);
        writeChunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
        text.forEach((keyword, value) -> writeText(png, keyword, value));
        writeChunk(png, "IDAT", deflate(filtered(width, height, rgb)));
        writeChunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /** A text chunk may not hold a NUL (it ends the keyword), so any in {@code text} becomes U+FFFD. */
    private static void writeText(ByteArrayOutputStream png, String keyword, String text) {
        String value = text.replace('\0', '\uFFFD');
        ByteArrayOutputStream data = new ByteArrayOutputStream(value.length() + keyword.length() + 8);
        data.writeBytes(keyword.getBytes(StandardCharsets.ISO_8859_1));
        data.write(0);
        if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(value)) {
            data.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
            writeChunk(png, "tEXt", data.toByteArray());
        } else {
            // not compressed, compression method 0, no language tag, no translated keyword
            data.writeBytes(new byte[] {0, 0, 0, 0});
            data.writeBytes(value.getBytes(StandardCharsets.UTF_8));
            writeChunk(png, "iTXt", data.toByteArray());
        }
    }

    /** Each scanline behind its filter type byte, filtered with Paeth, the usual best single filter for pictures. */
    private static byte[] filtered(int width, int height, byte[] rgb) {
        int stride = width * BYTES_PER_PIXEL;
        byte[] out = new byte[height * (stride + 1)];
        for (int y = 0; y < height; y++) {
            int row = y * stride;
            int target = y * (stride + 1);
            out[target] = PAETH;
            for (int i = 0; i < stride; i++) {
                int left = i >= BYTES_PER_PIXEL ? rgb[row + i - BYTES_PER_PIXEL] & 0xff : 0;
                int up = y > 0 ? rgb[row - stride + i] & 0xff : 0;
                int upLeft = y > 0 && i >= BYTES_PER_PIXEL ? rgb[row - stride + i - BYTES_PER_PIXEL] & 0xff : 0;
                out[target + 1 + i] = (byte) ((rgb[row + i] & 0xff) - paeth(left, up, upLeft));
            }
        }
        return out;
    }

    private static int paeth(int left, int up, int upLeft) {
        int estimate = left + up - upLeft;
        int toLeft = Math.abs(estimate - left);
        int toUp = Math.abs(estimate - up);
        int toUpLeft = Math.abs(estimate - upLeft);
        if (toLeft <= toUp && toLeft <= toUpLeft) {
            return left;
        }
        return toUp <= toUpLeft ? up : upLeft;
    }

    private static byte[] deflate(byte[] data) {
        // the fastest level: on the worker thread, time matters more than the few percent of file size it costs
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static void writeChunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
