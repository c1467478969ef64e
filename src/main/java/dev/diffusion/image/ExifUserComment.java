package dev.diffusion.image;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The EXIF block AUTOMATIC1111 writes into JPEG and WebP files: a big-endian TIFF structure whose only content is an
 * Exif IFD holding the infotext as {@code UserComment} in the EXIF "UNICODE" encoding (an 8-byte {@code UNICODE\0}
 * character-code prefix, then UTF-16BE), which is what its {@code piexif.dump} with {@code UserComment.dump(...,
 * encoding="unicode")} produces and what its PNG-info tab reads back. One difference from piexif: the Exif IFD ends
 * with its next-IFD offset (zero), as TIFF requires and piexif omits; readers follow offsets, so both read the same.
 */
final class ExifUserComment {

    private static final short BIG_ENDIAN = 0x4d4d; // "MM"
    private static final short TIFF_MAGIC = 42;
    private static final short TAG_EXIF_IFD = (short) 0x8769;
    private static final short TAG_USER_COMMENT = (short) 0x9286;
    private static final short TYPE_LONG = 4;
    private static final short TYPE_UNDEFINED = 7;
    private static final byte[] UNICODE_PREFIX = "UNICODE\0".getBytes(StandardCharsets.US_ASCII);
    /** TIFF header, IFD0 with one entry and its next-IFD offset, the Exif IFD likewise. */
    private static final int HEADER_AND_IFDS = 8 + (2 + 12 + 4) + (2 + 12 + 4);

    private ExifUserComment() {
    }

    /** The TIFF bytes (what follows {@code Exif\0\0} in a JPEG's APP1 segment, and all of a WebP EXIF chunk). */
    static byte[] tiff(String comment) {
        byte[] text = comment.getBytes(StandardCharsets.UTF_16BE);
        int exifIfd = 8 + 2 + 12 + 4;
        // ByteBuffer writes big-endian, as the header says
        ByteBuffer tiff = ByteBuffer.allocate(HEADER_AND_IFDS + UNICODE_PREFIX.length + text.length);
        tiff.putShort(BIG_ENDIAN).putShort(TIFF_MAGIC).putInt(8);
        tiff.putShort((short) 1).putShort(TAG_EXIF_IFD).putShort(TYPE_LONG).putInt(1).putInt(exifIfd).putInt(0);
        tiff.putShort((short) 1).putShort(TAG_USER_COMMENT).putShort(TYPE_UNDEFINED)
                .putInt(UNICODE_PREFIX.length + text.length).putInt(HEADER_AND_IFDS).putInt(0);
        tiff.put(UNICODE_PREFIX).put(text);
        return tiff.array();
    }
}
