//! Media attachments and link preview cards.

use serde::{Deserialize, Serialize};

use super::util::{int_or_default, lenient_uint, or_default};
use super::{Account, CardType, MediaType};
use crate::Id;

/// A file attached to a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaAttachment {
    /// The attachment id.
    pub id: Id,
    /// What kind of file it is.
    #[serde(rename = "type")]
    pub kind: MediaType,
    /// The original file (`None` while a remote file is not yet fetched).
    #[serde(default)]
    pub url: Option<String>,
    /// A scaled-down preview.
    #[serde(default)]
    pub preview_url: Option<String>,
    /// The file on its origin server, for remote media.
    #[serde(default)]
    pub remote_url: Option<String>,
    /// The preview on its origin server (4.0+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_remote_url: Option<String>,
    /// A shorter URL for the attachment (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_url: Option<String>,
    /// Dimensions, durations, focal point and colors, as far as the server computed them.
    #[serde(default)]
    pub meta: Option<MediaMeta>,
    /// Alt text.
    #[serde(default)]
    pub description: Option<String>,
    /// A BlurHash placeholder.
    #[serde(default)]
    pub blurhash: Option<String>,
}

/// Metadata of a media attachment. Every part is optional: what is present depends on the
/// media type and on how far the server processed the file. Integer fields also accept a
/// float, a numeric string or an out-of-range value (read as `None`): servers compute them
/// from whatever the file says, and one odd number must not cost the whole status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaMeta {
    /// The original file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<MediaMetaInfo>,
    /// The preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small: Option<MediaMetaInfo>,
    /// The focal point for cropping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<Focus>,
    /// Dominant colors (audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<MediaColors>,
    /// Play length as text, such as `0:01:28.65` (video, audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<String>,
    /// Play length in seconds (video, audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Frames per second (video).
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub fps: Option<u32>,
    /// `WIDTHxHEIGHT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Width in pixels.
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub height: Option<u32>,
    /// Width divided by height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<f64>,
    /// Audio codec (video, audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_encode: Option<String>,
    /// Audio sample rate as text, such as `44100 Hz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_bitrate: Option<String>,
    /// Audio channels as text, such as `stereo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_channels: Option<String>,
}

/// Dimensions and timing of one rendition of a media file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaMetaInfo {
    /// Width in pixels.
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub height: Option<u32>,
    /// `WIDTHxHEIGHT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Width divided by height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<f64>,
    /// Frame rate as a fraction, such as `30/1` (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<String>,
    /// Play length in seconds (video, audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Bits per second (video, audio).
    #[serde(
        default,
        deserialize_with = "lenient_uint",
        skip_serializing_if = "Option::is_none"
    )]
    pub bitrate: Option<u64>,
}

/// A focal point, each coordinate in `-1.0..=1.0` (center is `0,0`, top left is `-1,1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    /// Horizontal position.
    #[serde(default, deserialize_with = "or_default")]
    pub x: f64,
    /// Vertical position.
    #[serde(default, deserialize_with = "or_default")]
    pub y: f64,
}

/// Dominant colors of an audio attachment's artwork, as `#rrggbb`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaColors {
    /// Background color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Foreground color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreground: Option<String>,
    /// Accent color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
}

/// A rich preview of a link in a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewCard {
    /// The linked URL.
    pub url: String,
    /// The page title.
    #[serde(default, deserialize_with = "or_default")]
    pub title: String,
    /// The page description.
    #[serde(default, deserialize_with = "or_default")]
    pub description: String,
    /// What kind of preview it is.
    #[serde(rename = "type")]
    pub kind: CardType,
    /// The author's name (deprecated in 4.3 for `authors`).
    #[serde(default, deserialize_with = "or_default")]
    pub author_name: String,
    /// The author's URL (deprecated in 4.3 for `authors`).
    #[serde(default, deserialize_with = "or_default")]
    pub author_url: String,
    /// The provider's name.
    #[serde(default, deserialize_with = "or_default")]
    pub provider_name: String,
    /// The provider's URL.
    #[serde(default, deserialize_with = "or_default")]
    pub provider_url: String,
    /// HTML for an embedded player (video cards).
    #[serde(default, deserialize_with = "or_default")]
    pub html: String,
    /// Width of the preview in pixels.
    #[serde(default, deserialize_with = "int_or_default")]
    pub width: u32,
    /// Height of the preview in pixels.
    #[serde(default, deserialize_with = "int_or_default")]
    pub height: u32,
    /// A preview image.
    #[serde(default)]
    pub image: Option<String>,
    /// Alt text of the preview image (4.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_description: Option<String>,
    /// An embed URL for photo cards.
    #[serde(default, deserialize_with = "or_default")]
    pub embed_url: String,
    /// A BlurHash of the preview image (3.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    /// The page's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// When the page was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Authors of the page (4.3+).
    #[serde(
        default,
        deserialize_with = "or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub authors: Vec<PreviewCardAuthor>,
}

/// An author of a previewed page (4.3+).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewCardAuthor {
    /// The author's name.
    #[serde(default, deserialize_with = "or_default")]
    pub name: String,
    /// The author's URL.
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
    /// The author's fediverse account, when known.
    #[serde(default)]
    pub account: Option<Box<Account>>,
}
