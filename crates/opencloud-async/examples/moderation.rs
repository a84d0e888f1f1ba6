//! A support portal's moderation step, async: ban a player for 7 days with a reason they see
//! and one only the team sees, tell every live server to kick them, and show the ban log.
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-blocking --example moderation -- 42
//! ```

use futures_util::{StreamExt, TryStreamExt};
use opencloud_async::{Client, RestrictionDuration, RestrictionWrite, UserId};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let user: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(42);
    let client = Client::from_env()?;
    let bans = client.user_restrictions();
    let ban = bans
        .ban(
            UserId(user),
            RestrictionWrite::ban()
                .duration(RestrictionDuration::from_days(7)?)
                .display_reason("Exploiting")
                .private_reason("support ticket 1234"),
        )
        .await?;
    println!("banned {}: active {}", ban.path, ban.is_active());
    // Servers subscribed to "kick" remove the player now rather than at their next join.
    client
        .messaging()
        .publish_json("kick", &json!({"userId": user, "reason": "Exploiting"}))
        .await?;
    let logs: Vec<_> = bans
        .logs(|l| l.user(UserId(user)))
        .take(5)
        .try_collect()
        .await?;
    for entry in logs {
        println!("{entry:?}");
    }
    Ok(())
}
